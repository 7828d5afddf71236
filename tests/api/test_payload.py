"""The task payload between the API and the worker: typed at both ends, stored as the
JSON earlier versions stored, so a task queued before an upgrade reads back the same."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from reelforge.errors import InputError
from reelforge.request.models import TextToVideo, parse_request
from reelforge.service.payload import ExtendPayload, RenderPayload, read_payload


def row(endpoint: str, workflow: str, translated: dict, request: dict | None = None):
    """A stored task as the worker gets it (only what the payload reads)."""
    return SimpleNamespace(
        endpoint=endpoint, workflow=workflow, translated=translated, request=request or {}
    )


def test_a_render_is_stored_as_its_requests_json_and_read_back_as_the_request():
    request = parse_request({"workflow": "text2video", "prompt": "A calm sea.", "tier": "cinema"})
    stored = RenderPayload(request=request).stored()
    assert stored == request.model_dump(mode="json")
    back = read_payload(row("text2video", "text2video", stored))
    assert isinstance(back, RenderPayload) and isinstance(back.request, TextToVideo)
    assert back.request == request and back.draft_task_id is None


def test_rows_queued_by_an_earlier_version_read_back():
    """As reelforge stored them before the payload had a type: a render's request (any
    subset of its fields), an extend's fields, a final's request with its draft named in
    its body."""
    render = read_payload(
        row("text2video", "text2video", {"workflow": "text2video", "duration": 3})
    )
    assert isinstance(render, RenderPayload) and render.request.duration == 3.0
    extend = read_payload(
        row(
            "video-extend",
            "extend",
            {
                "workflow": "extend",
                "video_id": "abc-0",
                "prompt": "on",
                "negative_prompt": "",
                "cfg_scale": None,
                "seconds": 3.0,
                "tier": "animatic",
                "source_task_id": "abc",
            },
            {"video_id": "abc-0", "prompt": "on", "duration": "3"},
        )
    )
    assert extend == ExtendPayload(
        video_id="abc-0", prompt="on", seconds=3.0, tier="animatic", source_task_id="abc"
    )
    final = read_payload(
        row("final", "text2video", {"workflow": "text2video", "seed": 7}, {"task_id": "draft1"})
    )
    assert isinstance(final, RenderPayload)
    assert final.draft_task_id == "draft1" and final.request.seed == 7


def test_an_extend_payload_is_stored_with_its_fields_as_before():
    stored = ExtendPayload(
        video_id="abc-0",
        prompt="on",
        negative_prompt="blur",
        cfg_scale=0.5,
        seconds=4.0,
        tier="animatic",
        source_task_id="abc",
    ).stored()
    assert stored == {
        "workflow": "extend",
        "video_id": "abc-0",
        "prompt": "on",
        "negative_prompt": "blur",
        "cfg_scale": 0.5,
        "seconds": 4.0,
        "tier": "animatic",
        "source_task_id": "abc",
    }
    assert list(stored) == list(ExtendPayload.model_fields)


def test_a_stored_request_that_no_longer_parses_is_an_input_error():
    """As the renderer would raise it: the worker fails the task with the reason."""
    with pytest.raises(InputError, match="duration"):
        read_payload(row("text2video", "text2video", {"workflow": "text2video", "duration": "x"}))
