"""A stored task without a server: what store and worker tests submit directly."""

from __future__ import annotations

from typing import Any

from reelforge.store import NewTask, new_task_id


def bare_task(
    *,
    endpoint: str = "text2video",
    tier: str = "animatic",
    request: dict[str, Any] | None = None,
    translated: dict[str, Any] | None = None,
    credits: int = 0,
    **kw: Any,
) -> NewTask:
    """A previz text-to-video task; ``kw``: ``external_task_id``, ``callback_url``."""
    return NewTask(
        new_task_id(),
        endpoint,
        "text2video",
        tier,
        request or {},
        translated if translated is not None else {"workflow": "text2video"},
        credits,
        True,
        **kw,
    )
