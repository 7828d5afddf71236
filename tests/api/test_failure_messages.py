"""No server path in what a client reads (issue 10): a failed task's message, whatever
the engine or the OS said, names files by their name only."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest

from reelforge.errors import InputError, MediaError

from .conftest import Service

T2V = "/v1/videos/text2video"


def open_missing(output: Path) -> None:
    """An OS error about a file beside the output, as an engine would hit it."""
    (output.parent / "weights" / "missing.safetensors").open("rb")


def engine_error(output: Path) -> None:
    raise MediaError(f"cannot encode {output}: encoder gone")


def input_error(output: Path) -> None:
    frame = output.parent / "inputs" / "image.png"
    raise InputError("image", str(frame), "readable image", f"cannot read {frame}")


@pytest.mark.parametrize("fail", [open_missing, engine_error, input_error])
def test_a_failed_tasks_message_names_no_server_path(make_service, fail):
    def render(request, *, output, progress, cancel, previz):
        fail(Path(output))

    service: Service = make_service(render=render)
    headers = service.headers()
    task = service.client.post(
        T2V, json={"prompt": "A lamp flickers.", "duration": "3"}, headers=headers
    )
    done = service.wait(f"{T2V}/{task.json()['data']['task_id']}", headers)
    message = done["task_status_msg"]
    assert done["task_status"] == "failed" and message, done
    home = str(service.store.config.home)
    for root in (home, str(Path(home).resolve()), tempfile.gettempdir()):
        assert root not in message, message
    assert any(name in message for name in ("missing.safetensors", "video.mp4", "image.png")), (
        message
    )


def test_an_api_error_names_no_server_path(make_service):
    """A URL input whose fetch fails with an OS error about the CA bundle: the 400 says
    what failed without the server's file layout."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(
            "[Errno 2] No such file or directory: '/etc/ssl/certs/ca-certificates.crt'"
        )

    service: Service = make_service(fetch_transport=httpx.MockTransport(refuse))
    response = service.client.post(
        "/v1/videos/image2video",
        json={"image": "https://images.example.com/cat.png", "duration": "5"},
        headers=service.headers(),
    )
    body = response.json()
    assert (response.status_code, body["code"]) == (400, 1201), body
    assert "/etc/ssl" not in body["message"] and "ca-certificates.crt" in body["message"], body
