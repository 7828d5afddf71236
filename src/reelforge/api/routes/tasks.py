"""Kling's task API: for each product path (``/v1/videos/text2video``, ...), create a task
(``POST``), list them (``GET``, or one by ``external_task_id``) and query one
(``GET .../{task_id}``, by task id or external task id).

A task is committed (credits held) before its ``POST`` is answered: the body is checked
and built into a task (:mod:`reelforge.api.builders`), then queued
(:meth:`~reelforge.store.queue.TaskQueue.submit`); whatever is refused comes back with
Kling's code, and what the refused task had fetched is removed.
"""

# No ``from __future__ import annotations``: FastAPI reads the route signatures, which
# are built in closures below.

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from ...errors import InputError
from ...service.urls import check_url
from ...store import DuplicateExternalId, OutOfCredits, TooManyTasks, new_task_id
from ...store.models import Account
from ...store.tasks import PAGE_NUM_MAX, PAGE_SIZE_MAX
from .. import errors as E
from ..builders import cleanup, extend_task, final_task, render_task
from ..context import Caller, context, request_id
from ..errors import KlingError
from ..kling import (
    BODIES,
    ENDPOINTS,
    ID_MAX_CHARS,
    check_lookup_id,
    check_texts,
    input_message,
    redact,
)
from ..views import envelope, task_data

DEFAULT_PAGE_SIZE = 30

router = APIRouter()


def submit(endpoint: str, body: Any, user: Account, request: Request) -> dict[str, Any]:
    """Check ``body``, build its task and queue it; the task as a query returns it."""
    ctx = context(request)
    store, config = ctx.store, ctx.config
    workflow = ENDPOINTS[endpoint]
    raw = redact(body.model_dump(mode="json", exclude_unset=True))
    task_id = new_task_id()
    try:
        check_texts(body)
        if body.callback_url:
            check_url(body.callback_url, "callback_url", config.allow_private_urls, resolve=False)
        if body.external_task_id is not None and store.tasks.get(
            user.id, endpoint, body.external_task_id
        ):
            raise DuplicateExternalId(body.external_task_id)
        if workflow == "extend":
            new = extend_task(store, config, user, body, task_id, raw)
        elif workflow == "final":
            new = final_task(store, config, user, body, task_id, raw)
        else:
            new = render_task(store, config, ctx.fetcher, endpoint, body, user, task_id, raw)
        task = store.queue.submit(user, new, max_running=config.max_running_tasks)
    except InputError as exc:
        cleanup(store, user, task_id)
        raise KlingError(E.BAD_PARAMETER_VALUE, input_message(exc, workflow)) from None
    except DuplicateExternalId as exc:
        cleanup(store, user, task_id)
        raise KlingError(
            E.BAD_PARAMETER_VALUE,
            f"external_task_id: {exc} is already used by another task of this account",
        ) from None
    except OutOfCredits as exc:
        cleanup(store, user, task_id)
        raise KlingError(E.OUT_OF_CREDITS, str(exc)) from None
    except TooManyTasks as exc:
        cleanup(store, user, task_id)
        raise KlingError(E.TOO_MANY_TASKS, f"too many running tasks: {exc}") from None
    except BaseException:
        cleanup(store, user, task_id)
        raise
    ctx.executor.wake()
    ctx.sender.wake()
    return envelope(task_data(task, store.artifacts, ctx.base_url(request)), request_id(request))


def _add_routes(endpoint: str, model: type) -> None:
    path = f"/v1/videos/{endpoint}"
    tag = endpoint

    def create(request: Request, body: Annotated[model, Body()], user: Caller) -> dict[str, Any]:  # type: ignore[valid-type]
        return submit(endpoint, body, user, request)

    def found(field: str, key: str, request: Request, user: Account) -> dict[str, Any]:
        """The task ``key`` names (a task id or an external one), checked before the lookup."""
        try:
            check_lookup_id(field, key)
        except InputError as exc:
            raise KlingError(E.BAD_PARAMETER_VALUE, str(exc)) from None
        ctx = context(request)
        task = ctx.store.tasks.get(user.id, endpoint, key)
        if task is None:
            raise KlingError(
                E.NOT_FOUND, f"task {key!r} not found under /{endpoint} for this account"
            )
        return envelope(
            task_data(task, ctx.store.artifacts, ctx.base_url(request)), request_id(request)
        )

    def query(task_id: str, request: Request, user: Caller) -> dict[str, Any]:
        return found("task_id", task_id, request, user)

    def listing(
        request: Request,
        user: Caller,
        page_num: Annotated[int, Query(alias="pageNum", ge=1, le=PAGE_NUM_MAX)] = 1,
        page_size: Annotated[
            int, Query(alias="pageSize", ge=1, le=PAGE_SIZE_MAX)
        ] = DEFAULT_PAGE_SIZE,
        external_task_id: Annotated[str | None, Query(max_length=ID_MAX_CHARS)] = None,
    ) -> dict[str, Any]:
        if external_task_id is not None:
            return found("external_task_id", external_task_id, request, user)
        ctx = context(request)
        tasks = ctx.store.tasks.page(user.id, endpoint, page_num, page_size)
        base = ctx.base_url(request)
        return envelope(
            [task_data(t, ctx.store.artifacts, base) for t in tasks], request_id(request)
        )

    router.add_api_route(
        path, create, methods=["POST"], tags=[tag], summary=f"Create a {endpoint} task"
    )
    router.add_api_route(
        path, listing, methods=["GET"], tags=[tag], summary=f"List {endpoint} tasks"
    )
    router.add_api_route(
        path + "/{task_id}",
        query,
        methods=["GET"],
        tags=[tag],
        summary=f"Query a {endpoint} task by task_id or external_task_id",
    )


for _endpoint, _model in BODIES.items():
    _add_routes(_endpoint, _model)
