"""Kling's response shapes: the ``{code, message, request_id, data}`` envelope, and a task
as Kling's query returns it (``data``). The same body goes to callbacks
(:func:`callback_body`, which the app gives the store: its outbox stores the body of each
status change). Result URLs are signed when the view is made."""

from __future__ import annotations

from typing import Any

from ..store.artifacts import LocalArtifacts
from ..store.models import Task, TaskStatus


def format_seconds(seconds: float) -> str:
    """Kling sends durations as strings: ``"5"``, ``"5.042"``."""
    return f"{round(float(seconds), 3):g}"


def task_data(task: Task, artifacts: LocalArtifacts, base_url: str) -> dict[str, Any]:
    succeeded = task.status == TaskStatus.SUCCEED
    videos = (
        [
            {
                "id": v["id"],
                "url": (url := artifacts.url(v["path"], base_url)),
                "watermark_url": url,
                "duration": format_seconds(v["duration"]),
            }
            for v in (task.videos or [])
        ]
        if succeeded
        else []
    )
    return {
        "task_id": task.id,
        "task_status": str(task.status),
        "task_status_msg": task.status_msg or "",
        "task_info": {"external_task_id": task.external_task_id},
        "task_result": {"videos": videos},
        "final_unit_deduction": str(task.credits_final or 0),
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "task_progress": task.progress,
        "task_tier": task.tier,
        "task_previz": task.previz,
    }


def envelope(data: Any, request_id: str, code: int = 0, message: str = "SUCCEED") -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": request_id, "data": data}


def callback_body(task: Task, artifacts: LocalArtifacts, base_url: str) -> dict[str, Any]:
    """What a task's callback carries: the task as a query returns it, in the envelope."""
    return envelope(task_data(task, artifacts, base_url), request_id=f"callback-{task.id}")
