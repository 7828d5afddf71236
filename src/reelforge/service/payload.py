"""What a task asks the worker to do: built by the API at submit, stored with the task
(its ``translated`` JSON), read back by the worker.

Two kinds:

- :class:`RenderPayload`: a render (text2video, image2video, omni, motion, avatar, and a
  final, which keeps its draft's workflow): our request (:mod:`reelforge.request.models`)
  with local input paths and the tier pinned. Stored as the request's JSON; a final's
  draft is named by the final's body (``{"task_id": ...}``, kept in the task's
  ``request`` column), so it is not stored twice.
- :class:`ExtendPayload`: a video extend: the finished video to continue and how. Stored
  as its fields, with ``"workflow": "extend"``.

The stored JSON is what reelforge stored before these types existed, so a task queued by
an earlier version reads back the same (:func:`read_payload`).
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from ..request.models import Request, parse_request
from ..store.models import Task

EXTEND: Final = "extend"
"""The workflow (and ``translated["workflow"]``) of a video-extend task."""
FINAL_ENDPOINT = "final"
"""The product path of a final: its task renders its draft's workflow."""


class RenderPayload(BaseModel):
    """A render: ``request`` as :func:`reelforge.render.runner.render` takes it."""

    model_config = ConfigDict(frozen=True)

    request: Request
    draft_task_id: str | None = None
    """A final's draft (its sidecar is named in the final's); ``None`` for other renders."""

    def stored(self) -> dict[str, Any]:
        """The task's ``translated`` JSON."""
        return self.request.model_dump(mode="json")


class ExtendPayload(BaseModel):
    """A video extend: ``video_id`` (a finished video of the task's account, looked up
    again when the task runs) continued by ``seconds`` on ``tier``."""

    model_config = ConfigDict(frozen=True)

    workflow: Literal["extend"] = EXTEND
    video_id: str
    prompt: str = ""
    negative_prompt: str = ""
    cfg_scale: float | None = None
    seconds: float | None = None
    """``None``: :data:`~reelforge.planning.extend.DEFAULT_EXTEND_SECONDS`."""
    tier: str | None = None
    """``None``: the source task's tier."""
    source_task_id: str | None = None

    def stored(self) -> dict[str, Any]:
        """The task's ``translated`` JSON."""
        return self.model_dump(mode="json")


TaskPayload = RenderPayload | ExtendPayload


def read_payload(task: Task) -> TaskPayload:
    """The payload ``task`` was stored with. A render's request is parsed as
    :func:`~reelforge.request.models.parse_request` does (a problem raises
    :class:`~reelforge.errors.InputError`, as the renderer would)."""
    if task.workflow == EXTEND:
        return ExtendPayload.model_validate(task.translated)
    draft = (
        str((task.request or {}).get("task_id", "")) if task.endpoint == FINAL_ENDPOINT else None
    )
    return RenderPayload(request=parse_request(task.translated), draft_task_id=draft)
