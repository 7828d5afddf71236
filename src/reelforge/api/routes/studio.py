"""The studio: the web page served at ``/`` and the few JSON helpers it needs that Kling's
task API lacks, under ``/v1/studio/...``.

The page (``api/studio/``: plain HTML, CSS and JS modules, no build step) is just another
client of the task API: it submits through ``/v1/videos/...`` with Kling's field names and
sends its inputs as raw base64 in the JSON body, as Kling expects (an
``XMLHttpRequest`` reports the upload's progress; bodies up to
:data:`~reelforge.api.app.MAX_BODY_BYTES`). The app mounts the page's assets at
``ASSETS_ROUTE`` between :data:`router` and :data:`page`.

Helpers (Kling envelope, like the rest of the API):

- ``GET  /v1/studio/config``  – whether the page must ask for an API key; previz mode. No auth.
- ``GET  /v1/studio/limits``  – every named constant of :mod:`reelforge.request.limits`, the
  upload sizes of :mod:`reelforge.api.inputs`, Kling's ``mode`` values, so the page checks
  files with the server's numbers (and words its messages as the server does). No auth.
- ``POST /v1/studio/estimate`` – the selection guide's tier and reasons
  (:func:`reelforge.lineup.select`), and credits and time (:func:`reelforge.lineup.estimate`)
  for the settings on the page; a tier that cannot serve them is reported. No auth.
- ``POST /v1/studio/lint``    – :func:`reelforge.prompting.lint` advice. No auth.
- ``GET  /v1/studio/me``      – the caller's account and credit balance.
- ``GET  /v1/studio/tasks``   – the caller's tasks on every product path, newest first, each
  as the task API's ``data`` plus ``endpoint``, ``prompt``, ``request`` and ``poster_url``
  (the page polls it for live progress).
- ``GET  /v1/studio/tasks/{task_id}/sidecar`` – the plan, seeds and tier reasons of a
  finished task (its JSON sidecar), same auth and account isolation as the task API.
"""

# No ``from __future__ import annotations``: FastAPI reads the route signatures.

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ...errors import InputError
from ...lineup import TIERS, estimate, select, with_default_resolution
from ...prompting import lint
from ...request import limits
from ...request.models import ShotSpec, parse_request
from ...store import Store
from ...store.models import Task, TaskStatus
from .. import errors as E
from ..context import Caller, context
from ..errors import KlingError
from ..inputs import MAX_BYTES
from ..kling import ENDPOINTS, MODES, input_message
from ..views import envelope, task_data

STATIC_DIR = Path(__file__).parents[1] / "studio"
"""The page's files (``api/studio/``)."""
ASSETS_ROUTE = "/studio"
TASKS_LIMIT_MAX = 200
PLACEHOLDER = Path("studio-estimate")
"""Stands for an input file in an estimate: the guide and the price never open files."""


class EstimateBody(BaseModel):
    """The page's settings, without the files (facts about them instead)."""

    endpoint: Literal[
        "text2video", "image2video", "omni-video", "motion-control", "avatar/image2video"
    ]
    model_name: str | None = Field(None, max_length=64)
    mode: Literal["std", "pro", "4k"] | None = None
    """None: the tier's own resolution (the chosen tier's, else the guide's)."""
    sound: Literal["on", "off"] = "off"
    duration: float | None = Field(None, ge=0, le=3600)
    shots: int = Field(0, ge=0, le=100)
    media_seconds: float | None = Field(None, ge=0, le=36000)
    """Avatar: the audio's length; motion: the action video's (they set the clip's length)."""
    reference_video: bool = False
    """Omni: a reference video is attached."""


class LintShot(BaseModel):
    index: int = Field(ge=0, le=100)
    prompt: str = Field("", max_length=20_000)
    duration: float = Field(0, ge=0, le=3600)


class LintBody(BaseModel):
    workflow: Literal["text2video", "image2video", "omni", "motion", "avatar"] = "text2video"
    prompt: str = Field("", max_length=20_000)
    shots: list[LintShot] = Field(default_factory=list, max_length=100)
    duration: float | None = Field(None, ge=0, le=3600)


router = APIRouter(prefix="/v1/studio", tags=["studio"])
"""The helpers under ``/v1/studio``."""
page = APIRouter()
"""The page at ``/`` (its assets are mounted at ``ASSETS_ROUTE`` by the app)."""


@router.get("/config", summary="Studio: auth and previz mode")
def studio_config(request: Request) -> dict[str, Any]:
    config = context(request).config
    return envelope({"auth_required": not config.no_auth, "previz": config.previz}, _rid(request))


@router.get("/limits", summary="Studio: the input limits the server enforces")
def studio_limits(request: Request) -> dict[str, Any]:
    named = {name: _jsonable(getattr(limits, name)) for name in dir(limits) if name.isupper()}
    return envelope(
        {
            "limits": named,
            "upload_max_bytes": dict(MAX_BYTES),
            "modes": dict(MODES),
            "endpoints": dict(ENDPOINTS),
        },
        _rid(request),
    )


@router.post("/estimate", summary="Studio: the guide's tier, credits and time")
def studio_estimate(request: Request, body: EstimateBody) -> dict[str, Any]:
    return envelope(_estimate(body, context(request).config.previz), _rid(request))


@router.post("/lint", summary="Studio: prompt advice")
def studio_lint(request: Request, body: LintBody) -> dict[str, Any]:
    shots = [ShotSpec(index=s.index, prompt=s.prompt, duration=s.duration) for s in body.shots]
    found = lint(body.prompt, body.workflow, shots, body.duration)
    return envelope([{"code": w.code, "message": w.message} for w in found], _rid(request))


@router.get("/me", summary="Studio: who is signed in, and their credits")
def studio_me(request: Request, user: Caller) -> dict[str, Any]:
    balance = context(request).store.balance(user.id) if user.metered else None
    return envelope(
        {"account": user.name, "metered": user.metered, "balance": balance}, _rid(request)
    )


@router.get("/tasks", summary="Studio: every task of the caller, newest first")
def studio_tasks(
    request: Request,
    user: Caller,
    limit: Annotated[int, Query(ge=1, le=TASKS_LIMIT_MAX)] = 50,
) -> dict[str, Any]:
    ctx = context(request)
    tasks = ctx.store.tasks.recent(user.id, limit)
    base = ctx.base_url(request)
    return envelope([_task(ctx.store, t, base) for t in tasks], _rid(request))


@router.get("/tasks/{task_id}/sidecar", summary="Studio: plan and seeds of a finished task")
def studio_sidecar(task_id: str, request: Request, user: Caller) -> dict[str, Any]:
    ctx = context(request)
    store = ctx.store
    task = store.tasks.get_any(task_id)
    if task is None or task.account_id != user.id:
        raise KlingError(E.NOT_FOUND, f"task {task_id!r} not found for this account")
    if task.status != TaskStatus.SUCCEED or not task.videos:
        raise KlingError(
            E.NOT_FOUND, f"task {task_id!r} has no finished video (status {task.status})"
        )
    video = task.videos[0]
    path = store.artifacts.sidecar(video)
    if path is None:
        raise KlingError(E.NOT_FOUND, f"task {task_id!r} has no sidecar")
    sidecar = json.loads(path.read_text())
    return envelope(
        {
            "task_id": task.id,
            "endpoint": task.endpoint,
            "poster_url": _poster_url(store, task, ctx.base_url(request)),
            "sidecar": sidecar,
        },
        _rid(request),
    )


@page.get("/", include_in_schema=False)
def studio_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


def _estimate(body: EstimateBody, previz: bool) -> dict[str, Any]:
    workflow = ENDPOINTS[body.endpoint]
    data: dict[str, Any] = {
        "workflow": workflow,
        "resolution": MODES[body.mode] if body.mode else None,
        "audio": body.sound == "on" or workflow in ("motion", "avatar"),
    }
    duration = body.duration
    if workflow in ("image2video", "motion", "avatar"):
        data["image"] = PLACEHOLDER
    if workflow == "motion":
        data["video"] = PLACEHOLDER
    if workflow == "avatar":
        data["audio_file"] = PLACEHOLDER
    if workflow == "omni" and body.reference_video:
        data["video"] = {"path": PLACEHOLDER}
    if workflow in ("motion", "avatar"):
        given = body.media_seconds
        duration = min(duration, given) if duration and given else (given or duration)
    if duration is None:
        duration = limits.DEFAULT_DURATION_S
    if body.shots and workflow in ("text2video", "image2video", "omni"):
        n = body.shots
        data["multi_shot"] = True
        data["shots"] = [
            {"index": i + 1, "prompt": "shot", "duration": duration / n} for i in range(n)
        ]
    out: dict[str, Any] = {
        "workflow": workflow,
        "duration": duration,
        "recommended": None,
        "tier": None,
        "problem": None,
        "previz": previz,
    }
    try:
        guided = select(parse_request(with_default_resolution(data)))
        out["recommended"] = {"tier": guided.tier.name, "reasons": list(guided.reasons)}
    except InputError as exc:
        out["problem"] = input_message(exc, workflow)
    try:
        request = parse_request(with_default_resolution({**data, "tier": body.model_name or None}))
        choice = select(request, duration)
    except InputError as exc:
        out["problem"] = input_message(exc, workflow)
        return out
    tier = choice.tier
    cost = estimate(request, tier, duration)
    out.update(
        tier={
            "name": tier.name,
            "kling": tier.kling,
            "max_duration": tier.max_duration,
            "multi_shot": tier.multi_shot,
            "resolutions": list(tier.resolutions),
            "default_resolution": tier.default_resolution,
            "audio": tier.audio,
        },
        resolution=request.resolution,
        reasons=list(choice.reasons),
        credits=cost.credits,
        seconds=cost.seconds,
        hardware=cost.hardware,
        measured=cost.measured,
        speed_label=cost.speed_label,
        per_second=cost.per_second,
        audio=cost.audio,
        describe=cost.describe(),
    )
    if previz or tier.engine == "animatic":
        animatic = TIERS["animatic"]
        quick = estimate(request, animatic, duration)
        out["previz_seconds"] = quick.seconds
        out["previz_hardware"] = quick.hardware
    return out


def _task(store: Store, task: Task, base: str) -> dict[str, Any]:
    data = task_data(task, store.artifacts, base)
    raw = task.request or {}
    data.update(
        endpoint=task.endpoint,
        workflow=task.workflow,
        prompt=str(raw.get("prompt") or (task.translated or {}).get("prompt") or ""),
        request={k: v for k, v in raw.items() if not _is_payload(v)},
        poster_url=_poster_url(store, task, base),
    )
    return data


def _poster_url(store: Store, task: Task, base: str) -> str | None:
    if task.status != TaskStatus.SUCCEED or not task.videos or not task.videos[0].get("poster"):
        return None
    return store.artifacts.url(task.videos[0]["poster"], base)


def _is_payload(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("<base64:")


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _rid(request: Request) -> str:
    return getattr(request.state, "request_id", "") or ""
