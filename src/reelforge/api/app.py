"""The FastAPI app: Kling's legacy task API under ``/v1/videos/...``, signed result files
under ``/v1/files/...``, the lineup at ``/v1/tiers``; OpenAPI at ``/docs``.

``create_app(config)`` wires the store, the in-process executor and the callback sender,
started and stopped with the app. A task is committed (credits held) before its
``POST`` is answered; everything that goes wrong comes back in Kling's envelope with
Kling's code (see :mod:`reelforge.api.errors`).
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route signatures,
# which are built in closures below.

import logging
import shutil
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from .. import __version__
from ..engines.registry import cannot_render
from ..errors import InputError, scrub_paths
from ..lineup import FEATURES, TIERS, estimate, resolve_tier
from ..lineup.tiers import Tier
from ..planning.extend import DEFAULT_EXTEND_SECONDS
from ..planning.preflight import ANIMATIC, preflight
from ..render.extend import preflight_extension
from ..render.final import check_final, final_request, read_draft
from ..service.callbacks import CallbackSender
from ..service.payload import ExtendPayload, RenderPayload
from ..service.urls import check_url
from ..service.worker import Executor, Render
from ..spec.requests import parse_request
from ..store import (
    Config,
    DuplicateExternalId,
    NewTask,
    OutOfCredits,
    Store,
    TooManyTasks,
    new_task_id,
)
from ..store import accounts as acc
from ..store.artifacts import FILES_ROUTE
from ..store.models import Account, TaskStatus
from ..store.tasks import PAGE_NUM_MAX, PAGE_SIZE_MAX
from . import errors as E
from .auth import RateLimiter, authenticate
from .edge import BodyLimit, HostAllowList, allowed_hosts, route_depends_on
from .errors import KlingError
from .inputs import InputFetcher
from .kling import (
    BODIES,
    ENDPOINTS,
    ID_MAX_CHARS,
    MODES,
    check_lookup_id,
    check_texts,
    input_message,
    redact,
    seconds,
    translate,
)
from .studio import add_studio
from .views import callback_body, envelope, task_data

log = logging.getLogger("reelforge.api")

DEFAULT_PAGE_SIZE = 30
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
        **({"render": render} if render is not None else {}),
        **({"extend": extend} if extend is not None else {}),
    )
    sender = CallbackSender(
        store, allow_private=config.allow_private_urls, transport=callback_transport
    )
    executor.on_change = sender.wake
    fetcher = InputFetcher(config.allow_private_urls, transport=fetch_transport)
    limiter = RateLimiter(config.rate_limit_per_second, config.rate_limit_burst)
    local = store.account(acc.LOCAL_ACCOUNT, metered=False) if config.no_auth else None

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
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
    app.state.store, app.state.executor, app.state.sender = store, executor, sender

    # --- errors: always Kling's envelope --------------------------------------------
    def fail(request: Request, code: int, message: str, status: int | None = None) -> JSONResponse:
        status = status or E.HTTP_STATUS[code]
        body = envelope(None, _rid(request), code, scrub_paths(message))
        return JSONResponse(body, status_code=status)

    @app.exception_handler(KlingError)
    async def _kling(request: Request, exc: KlingError) -> JSONResponse:
        return fail(request, exc.code, exc.message, exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return fail(request, E.BAD_PARAMETERS, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return fail(request, E.WRONG_METHOD, f"method {request.method} is not allowed here")
        if exc.status_code == 404:
            return fail(request, E.NOT_FOUND, f"no such path: {request.url.path}")
        return fail(request, E.BAD_PARAMETERS, str(exc.detail), exc.status_code)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return fail(request, E.INTERNAL, f"internal error ({type(exc).__name__})")

    # --- auth -----------------------------------------------------------------------
    def account(request: Request) -> Account:
        """The caller (once per request: :func:`admit` may have found it already)."""
        user: Account | None = getattr(request.state, "account", None)
        if user is None:
            user = (
                local
                if local is not None
                else authenticate(store, request.headers.get("authorization"))
            )
            limiter.take(user.id)
            request.state.account = user
        return user

    async def admit(scope: Scope) -> int:
        """Before a body is read: a route that needs a caller checks the credentials
        (they are in the headers), so a stranger's body is refused unread; a route open
        to anyone takes only a small body."""
        if not route_depends_on(scope.get("route"), account):
            return OPEN_BODY_BYTES
        await run_in_threadpool(account, Request(scope))
        return MAX_BODY_BYTES

    # --- the edge: inner first; the request id (outermost) is set before they run ---
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES, admit=admit)
    if config.no_auth:
        hosts = allowed_hosts(config.public_url, config.allowed_hosts)
        app.add_middleware(HostAllowList, hosts=hosts)

    @app.middleware("http")
    async def _request_id(request: Request, call_next):  # type: ignore[no-untyped-def]
        request.state.request_id = uuid.uuid4().hex
        response = await call_next(request)
        response.headers["x-request-id"] = request.state.request_id
        return response

    def base_url(request: Request) -> str:
        return config.public_url or str(request.base_url)

    # --- tasks ----------------------------------------------------------------------
    def submit(endpoint: str, body: Any, user: Account, request: Request) -> dict[str, Any]:
        workflow = ENDPOINTS[endpoint]
        raw = redact(body.model_dump(mode="json", exclude_unset=True))
        task_id = new_task_id()
        try:
            check_texts(body)
            if body.callback_url:
                check_url(
                    body.callback_url, "callback_url", config.allow_private_urls, resolve=False
                )
            if body.external_task_id is not None and store.tasks.get(
                user.id, endpoint, body.external_task_id
            ):
                raise DuplicateExternalId(body.external_task_id)
            if workflow == "extend":
                new = _extend_task(store, config, user, body, task_id, raw)
            elif workflow == "final":
                new = _final_task(store, config, user, body, task_id, raw)
            else:
                new = _render_task(store, config, fetcher, endpoint, body, user, task_id, raw)
            task = store.queue.submit(user, new, max_running=config.max_running_tasks)
        except InputError as exc:
            _cleanup(store, user, task_id)
            raise KlingError(E.BAD_PARAMETER_VALUE, input_message(exc, workflow)) from None
        except DuplicateExternalId as exc:
            _cleanup(store, user, task_id)
            raise KlingError(
                E.BAD_PARAMETER_VALUE,
                f"external_task_id: {exc} is already used by another task of this account",
            ) from None
        except OutOfCredits as exc:
            _cleanup(store, user, task_id)
            raise KlingError(E.OUT_OF_CREDITS, str(exc)) from None
        except TooManyTasks as exc:
            _cleanup(store, user, task_id)
            raise KlingError(E.TOO_MANY_TASKS, f"too many running tasks: {exc}") from None
        except BaseException:
            _cleanup(store, user, task_id)
            raise
        executor.wake()
        sender.wake()
        return envelope(task_data(task, store.artifacts, base_url(request)), _rid(request))

    for endpoint, model in BODIES.items():
        _routes(app, endpoint, model, submit, account, base_url, store)

    # --- files, lineup, health --------------------------------------------------------
    @app.get(FILES_ROUTE + "/{path:path}", tags=["files"], summary="A result file (signed URL)")
    def get_file(
        path: str,
        request: Request,
        expires: Annotated[int, Query(ge=0, le=2**62)],
        signature: Annotated[str, Query(max_length=200)],
    ) -> FileResponse:
        if not store.artifacts.verify(path, expires, signature):
            raise KlingError(E.AUTH_FAILED, "this file URL is invalid or has expired", 403)
        owner = store.artifacts.owner(path)
        header = request.headers.get("authorization")
        if header and local is None and authenticate(store, header).id != owner:
            raise KlingError(E.MODEL_NOT_ALLOWED, "this file belongs to another account", 403)
        file = store.artifacts.resolve(path)
        if file is None:
            raise KlingError(E.NOT_FOUND, "no such file")
        return FileResponse(file)

    @app.get("/v1/tiers", tags=["lineup"], summary="The lineup: tiers, models, limits, prices")
    def tiers(request: Request) -> dict[str, Any]:
        return envelope([_tier(t) for t in TIERS.values()], _rid(request))

    @app.get("/healthz", tags=["meta"], summary="Liveness")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "previz": config.previz}

    add_studio(app, store, config, account, base_url)  # the web page at / (issue 5)
    return app


def _routes(
    app: FastAPI, endpoint: str, model: type, submit: Any, account: Any, base_url: Any, store: Store
) -> None:
    path = f"/v1/videos/{endpoint}"
    tag = endpoint

    User = Annotated[Account, Depends(account)]

    def create(request: Request, body: Annotated[model, Body()], user: User) -> dict[str, Any]:  # type: ignore[valid-type]
        return submit(endpoint, body, user, request)

    def found(field: str, key: str, request: Request, user: Account) -> dict[str, Any]:
        """The task ``key`` names (a task id or an external one), checked before the lookup."""
        try:
            check_lookup_id(field, key)
        except InputError as exc:
            raise KlingError(E.BAD_PARAMETER_VALUE, str(exc)) from None
        task = store.tasks.get(user.id, endpoint, key)
        if task is None:
            raise KlingError(
                E.NOT_FOUND, f"task {key!r} not found under /{endpoint} for this account"
            )
        return envelope(task_data(task, store.artifacts, base_url(request)), _rid(request))

    def query(task_id: str, request: Request, user: User) -> dict[str, Any]:
        return found("task_id", task_id, request, user)

    def listing(
        request: Request,
        user: User,
        page_num: Annotated[int, Query(alias="pageNum", ge=1, le=PAGE_NUM_MAX)] = 1,
        page_size: Annotated[
            int, Query(alias="pageSize", ge=1, le=PAGE_SIZE_MAX)
        ] = DEFAULT_PAGE_SIZE,
        external_task_id: Annotated[str | None, Query(max_length=ID_MAX_CHARS)] = None,
    ) -> dict[str, Any]:
        if external_task_id is not None:
            return found("external_task_id", external_task_id, request, user)
        tasks = store.tasks.page(user.id, endpoint, page_num, page_size)
        base = base_url(request)
        return envelope([task_data(t, store.artifacts, base) for t in tasks], _rid(request))

    app.add_api_route(
        path, create, methods=["POST"], tags=[tag], summary=f"Create a {endpoint} task"
    )
    app.add_api_route(path, listing, methods=["GET"], tags=[tag], summary=f"List {endpoint} tasks")
    app.add_api_route(
        path + "/{task_id}",
        query,
        methods=["GET"],
        tags=[tag],
        summary=f"Query a {endpoint} task by task_id or external_task_id",
    )


def _render_task(
    store: Store,
    config: Config,
    fetcher: InputFetcher,
    endpoint: str,
    body: Any,
    user: Account,
    task_id: str,
    raw: dict[str, Any],
) -> NewTask:
    workflow = ENDPOINTS[endpoint]
    if body.model_name:
        try:
            tier = resolve_tier(body.model_name, workflow, field="model_name")
        except InputError as exc:
            raise KlingError(E.NOT_FOUND, input_message(exc, workflow)) from None
        if workflow not in tier.workflows:
            able = ", ".join(t.name for t in TIERS.values() if workflow in t.workflows)
            raise KlingError(
                E.MODEL_NOT_ALLOWED,
                f"model_name: {body.model_name!r} (tier {tier.name}) cannot be used on /{endpoint} "
                f"(tiers that can: {able})",
            )
    folder = store.artifacts.inputs_dir(user.id, task_id)

    def fetch(value: str, field: str, kind: str, name: str) -> Path:
        return fetcher.fetch(value, field, kind, folder, name)

    request = parse_request(translate(endpoint, body, fetch))
    pre = preflight(request, previz=config.previz)  # what the worker runs before rendering
    tier, checked = pre.choice.tier, pre.checked
    previz = _previz(config.previz, tier, checked.request.model, "model_name")
    cost = estimate(checked.request, tier, checked.duration).credits
    payload = RenderPayload(request=request.model_copy(update={"tier": tier.name}))
    return NewTask(
        id=task_id,
        endpoint=endpoint,
        workflow=workflow,
        tier=tier.name,
        request=raw,
        translated=payload.stored(),
        credits=cost,
        previz=previz,
        external_task_id=body.external_task_id,
        callback_url=body.callback_url,
    )


def _extend_task(
    store: Store, config: Config, user: Account, body: Any, task_id: str, raw: dict[str, Any]
) -> NewTask:
    """A video-extend task: the source must be a finished video of this account; the
    continuation is checked and planned as the worker will (the source's tier at its
    size and sound), and only the added seconds are held (and charged)."""
    found = store.tasks.find_video(user.id, body.video_id)
    path = store.artifacts.resolve(found[1]["path"]) if found is not None else None
    if found is None or path is None:
        raise InputError(
            "video_id",
            body.video_id,
            "a finished video of this account",
            f"{body.video_id!r} is not a video of a finished task of this account",
        )
    source = found[0]
    added = seconds(body.duration, "duration")
    added = DEFAULT_EXTEND_SECONDS if added is None else added
    try:
        pre = preflight_extension(
            path,
            body.prompt,
            added,
            negative_prompt=body.negative_prompt,
            cfg_scale=body.cfg_scale,
            tier=source.tier,
            model=source.request.get("model"),
            previz=config.previz or source.previz,
        )
    except InputError as exc:
        raise _extend_error(exc) from None
    tier, checked = pre.choice.tier, pre.checked
    previz = _previz(config.previz or source.previz, tier, checked.request.model, "video_id")
    return NewTask(
        id=task_id,
        endpoint="video-extend",
        workflow="extend",
        tier=tier.name,
        request=raw,
        translated=ExtendPayload(
            video_id=body.video_id,
            prompt=body.prompt,
            negative_prompt=body.negative_prompt,
            cfg_scale=body.cfg_scale,
            seconds=added,
            tier=tier.name,
            source_task_id=source.id,
        ).stored(),
        credits=estimate(checked.request, tier, added).credits,
        previz=previz,
        external_task_id=body.external_task_id,
        callback_url=body.callback_url,
    )


_EXTEND_FIELDS = {
    "image": "video_id",
    "aspect_ratio": "video_id",
    "resolution": "video_id",
    "audio": "video_id",
    "tier": "video_id",
    "multi_shot": "prompt",
    "shots": "prompt",
}
"""A continuation's fields that a video-extend body does not have, as the body spells
what decides them: the source video (its last frame, size, sound and tier), or the
prompt (a shot script in it)."""


def _extend_error(exc: InputError) -> InputError:
    """``exc`` on the video-extend body's field (``cfg_scale``, ``prompt``, ``duration``,
    else ``video_id``: what the continuation took from the source)."""
    head = exc.field.split("[")[0].split(".")[0]
    field = _EXTEND_FIELDS.get(head, exc.field)
    return InputError(field, exc.value, exc.limit, exc.message) if field != exc.field else exc


def _previz(previz: bool, tier: Tier, model: str | None, field: str) -> bool:
    """Whether a task of ``tier`` renders as a previz: when the server or the source says
    so, or the tier is the animatic. Otherwise the engine of the tier's ``model`` and its
    weights must be here (as the worker will look for them), else the task is refused now on ``field``
    rather than held and failed when the worker loads the engine."""
    if previz or tier.engine == ANIMATIC:
        return True
    why = cannot_render(tier, tier.engine_for(model))
    if why is not None:
        raise InputError(
            field,
            tier.name,
            "a tier whose engine and weights are on this server",
            f"the {tier.name} tier cannot render on this server: {why}; or render a previz "
            "(the animatic tier, or a server started with `reelforge serve --previz`)",
        )
    return False


def _final_task(
    store: Store, config: Config, user: Account, body: Any, task_id: str, raw: dict[str, Any]
) -> NewTask:
    """A final: a finished task of this account re-rendered at ``body.mode`` (4K) with its
    seed, on its tier, priced as a new task of that request. The task keeps the draft's
    workflow (the worker renders it like any other); the draft's input files are copied
    into the new task's folder, so it stands on its own. A previz draft's final renders
    on the tier's own engine (previz only where the server or the tier is)."""
    source = store.tasks.get_any(body.task_id)
    if source is None or source.account_id != user.id:
        raise InputError(
            "task_id",
            body.task_id,
            "a finished task of this account",
            f"{body.task_id!r} is not a task of this account",
        )
    if source.status != TaskStatus.SUCCEED or not source.videos:
        raise InputError(
            "task_id",
            body.task_id,
            "a finished task",
            f"task {body.task_id!r} has not succeeded (status {source.status}); "
            "a final re-renders a finished draft",
        )
    resolution = MODES[body.mode]
    draft = dict(source.translated or {})
    check_final(draft, tier=source.tier, resolution=resolution, field="task_id")
    seed = _draft_seed(store, source)
    request = final_request(draft, seed, tier=source.tier, resolution=resolution, field="task_id")
    request = _copy_inputs(store, user, source.id, task_id, request)
    payload = RenderPayload(request=parse_request(request), draft_task_id=source.id)
    pre = preflight(payload.request, previz=config.previz)  # what the worker runs before rendering
    tier, checked = pre.choice.tier, pre.checked
    previz = _previz(config.previz, tier, checked.request.model, "task_id")
    cost = estimate(checked.request, tier, checked.duration).credits
    return NewTask(
        id=task_id,
        endpoint="final",
        workflow=checked.request.workflow,
        tier=tier.name,
        request=raw,
        translated=payload.stored(),
        credits=cost,
        previz=previz,
        external_task_id=body.external_task_id,
        callback_url=body.callback_url,
    )


def _draft_seed(store: Store, source: Any) -> int:
    """The seed a finished task was rendered with: its sidecar's, else its request's."""
    sidecar = store.artifacts.sidecar(source.videos[0])
    if sidecar is not None:
        try:
            return read_draft(sidecar, field="task_id").seed
        except InputError:
            pass
    seed = (source.translated or {}).get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        return seed
    raise InputError(
        "task_id",
        source.id,
        "a render with a recorded seed",
        f"task {source.id!r} has no record of its seed (its sidecar is missing)",
    )


def _copy_inputs(
    store: Store, user: Account, source_id: str, task_id: str, request: dict[str, Any]
) -> dict[str, Any]:
    """``request`` with the source task's input files copied into ``task_id``'s folder."""
    old = store.artifacts.inputs_dir(user.id, source_id)
    if not old.is_dir():
        return request
    new = store.artifacts.inputs_dir(user.id, task_id)
    shutil.copytree(old, new, dirs_exist_ok=True)
    prefix, replacement = str(old), str(new)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and value.startswith(prefix):
            return replacement + value[len(prefix) :]
        return value

    return walk(request)


def _cleanup(store: Store, user: Account, task_id: str) -> None:
    store.artifacts.remove_task(user.id, task_id)


def _tier(t: Any) -> dict[str, Any]:
    return {
        "name": t.name,
        "role": t.role,
        "kling": t.kling,
        "kling_models": list(t.kling_models),
        "engine": t.engine,
        "models": [t.engine, *t.models],
        "workflows": list(t.workflows),
        "max_duration": t.max_duration,
        "resolutions": list(t.resolutions),
        "default_resolution": t.default_resolution,
        "fps": t.fps,
        "audio": t.audio,
        "prices": {r: {"silent": p[0], "with_audio": p[1]} for r, p in t.prices.items()},
        "multi_shot": t.multi_shot,
        "features": [f for f in FEATURES if t.offers(f)],
        "experimental": dict(t.experimental),
    }


def _rid(request: Request) -> str:
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex


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
