"""The three kinds of task a ``POST /v1/videos/...`` builds, as the store queues them
(:class:`~reelforge.store.queue.NewTask`, with its typed payload,
:mod:`reelforge.service.payload`):

- :func:`render_task`: a Kling body translated into our request, its inputs fetched into
  the task's folder, checked and planned as the worker will, and priced;
- :func:`extend_task`: a finished video of the caller's continued (video-extend);
- :func:`final_task`: a finished draft of the caller's re-rendered at 4K with its seed.

Each refuses what the worker would refuse (:class:`~reelforge.errors.InputError`, or a
:class:`~reelforge.api.errors.KlingError` with its code) before anything is held or
queued; :func:`cleanup` removes what a refused task had fetched.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ..engines.registry import cannot_render
from ..errors import InputError
from ..lineup import TIERS, estimate, resolve_tier
from ..lineup.tiers import Tier
from ..planning.extend import DEFAULT_EXTEND_SECONDS
from ..planning.preflight import ANIMATIC, preflight
from ..render.extend import preflight_extension
from ..render.final import check_final, final_request, read_draft
from ..request.models import parse_request
from ..service.payload import ExtendPayload, RenderPayload
from ..store import Config, NewTask, Store
from ..store.models import Account, TaskStatus
from . import errors as E
from .errors import KlingError
from .inputs import InputFetcher
from .kling import ENDPOINTS, MODES, input_message, seconds, translate


def render_task(
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


def extend_task(
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


def final_task(
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


def cleanup(store: Store, user: Account, task_id: str) -> None:
    store.artifacts.remove_task(user.id, task_id)
