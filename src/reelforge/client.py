"""A Python client for Kling-shaped task APIs: ``reelforge serve`` or Kling's own.

It speaks only the public Kling task API (``/v1/videos/...``, the ``{code, message,
request_id, data}`` envelope, JWT auth from an access key / secret key pair or a static
API key) plus two reelforge extensions: ``task_progress`` (0–100), which drives a
progress bar when the server sends it (a spinner otherwise), and :meth:`Client.final`
(``POST /v1/videos/final``: a finished draft rendered again at 4K with its seed and
plan), which only a reelforge server answers. It imports nothing from
the reelforge server, so it can be vendored or installed on its own
(``pip install 'reelforge[client]'``)::

    from reelforge.client import Client

    with Client("http://127.0.0.1:8000", access_key="ak_...", secret_key="sk_...") as kling:
        task = kling.text2video("A lighthouse at dusk, waves below", model_name="kling-v3",
                                mode="std", duration="5")
        task = kling.wait(task)                 # progress bar; raises TaskFailed on failure
        path = kling.download(task, "out/")     # -> out/<task_id>.mp4

Images, audio and video arguments take a URL (sent as is), a local path or bytes (sent
as raw base64 without a ``data:`` prefix, as Kling expects). Every API error is raised
as :class:`KlingError` with Kling's ``code``, ``message``, ``request_id`` and the HTTP
status. :class:`AsyncClient` has the same methods as coroutines.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
import jwt

__all__ = [
    "ENDPOINTS",
    "AsyncClient",
    "Client",
    "KlingError",
    "Task",
    "TaskFailed",
    "Video",
    "encode_media",
    "make_jwt",
    "verify_webhook",
]

ENDPOINTS: dict[str, str] = {
    "text2video": "/v1/videos/text2video",
    "image2video": "/v1/videos/image2video",
    "omni-video": "/v1/videos/omni-video",
    "motion-control": "/v1/videos/motion-control",
    "avatar/image2video": "/v1/videos/avatar/image2video",
    "video-extend": "/v1/videos/video-extend",
    "final": "/v1/videos/final",
}
"""Product name → path. Other names (``lip-sync``, ``effects``) are accepted as given.
``final`` is a reelforge extension (a finished task re-rendered at 4K)."""

_ALIASES = {
    "omni": "omni-video",
    "omni_video": "omni-video",
    "motion": "motion-control",
    "motion_control": "motion-control",
    "avatar": "avatar/image2video",
    "video_extend": "video-extend",
    "extend": "video-extend",
    "4k": "final",
    "final-4k": "final",
    "final_4k": "final",
}

TOKEN_LIFETIME_S = 1800
"""``exp`` = now + 30 min, as in Kling's docs."""
TOKEN_NBF_SKEW_S = 5
"""``nbf`` = now − 5 s, as in Kling's docs."""
TOKEN_REFRESH_MARGIN_S = 300
"""A cached token is replaced when it has less than this left."""

TERMINAL = ("succeed", "failed")

# Request fields that carry media, at any depth (``element_list[].image_list[].image_url``
# too). Each value may be a URL, a local path or bytes; paths and bytes become raw base64.
_MEDIA_FIELDS = frozenset(
    {"image", "image_tail", "image_url", "video_url", "sound_file", "static_mask", "mask"}
)
_MEDIA_LIST_FIELDS = {"image_list": "image_url", "video_list": "video_url", "dynamic_masks": "mask"}
"""Lists whose items may also be given as bare media values (wrapped as ``{key: value}``)."""


# --- errors ---------------------------------------------------------------------------


class KlingError(Exception):
    """An error answer: Kling's ``code`` (1000–5002), ``message``, ``request_id`` and the
    HTTP status. Transport failures (no answer at all) stay ``httpx`` exceptions."""

    def __init__(
        self, code: int, message: str, request_id: str | None = None, http_status: int | None = None
    ) -> None:
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status
        super().__init__(f"[{code}] {message} (HTTP {http_status}, request_id={request_id})")


class TaskFailed(Exception):
    """:meth:`Client.wait` saw the task end as ``failed``; ``task.status_msg`` says why."""

    def __init__(self, task: Task) -> None:
        self.task = task
        super().__init__(f"task {task.task_id} failed: {task.status_msg or 'no reason given'}")


# --- tasks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Video:
    id: str
    url: str
    duration: float
    """Seconds; Kling sends a string, this is the number."""
    watermark_url: str | None = None


@dataclass(frozen=True)
class Task:
    """One task as the server last reported it. ``raw`` is the ``data`` object as sent."""

    task_id: str
    status: str
    endpoint: str = "text2video"
    status_msg: str = ""
    external_task_id: str | None = None
    created_at: int | None = None
    updated_at: int | None = None
    progress: int | None = None
    """reelforge's ``task_progress`` (0–100); ``None`` on servers without it."""
    final_unit_deduction: str | None = None
    videos: tuple[Video, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    @property
    def succeeded(self) -> bool:
        return self.status == "succeed"

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @classmethod
    def from_data(cls, data: Mapping[str, Any], endpoint: str = "text2video") -> Task:
        info = data.get("task_info") or {}
        result = data.get("task_result") or {}
        videos = tuple(
            Video(
                id=str(v.get("id", "")),
                url=str(v.get("url", "")),
                duration=_float(v.get("duration")),
                watermark_url=v.get("watermark_url"),
            )
            for v in (result.get("videos") or [])
        )
        progress = data.get("task_progress")
        deduction = data.get("final_unit_deduction")
        return cls(
            task_id=str(data.get("task_id", "")),
            status=str(data.get("task_status", "")),
            endpoint=endpoint,
            status_msg=str(data.get("task_status_msg") or ""),
            external_task_id=info.get("external_task_id") if isinstance(info, Mapping) else None,
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            progress=None if progress is None else int(progress),
            final_unit_deduction=None if deduction is None else str(deduction),
            videos=videos,
            raw=dict(data),
        )


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


# --- auth ----------------------------------------------------------------------------


def make_jwt(
    access_key: str, secret_key: str, now: float | None = None, lifetime: int = TOKEN_LIFETIME_S
) -> str:
    """The token Kling's docs describe: HS256, header ``typ: JWT``, ``iss`` = access key,
    ``exp`` = now + 1800, ``nbf`` = now − 5."""
    now = int(time.time() if now is None else now)
    payload = {"iss": access_key, "exp": now + lifetime, "nbf": now - TOKEN_NBF_SKEW_S}
    return jwt.encode(
        payload, secret_key, algorithm="HS256", headers={"typ": "JWT", "alg": "HS256"}
    )


class _Auth:
    """``Authorization`` header value, a cached JWT renewed before it expires."""

    def __init__(self, access_key: str | None, secret_key: str | None, api_key: str | None) -> None:
        if api_key is None and (access_key is None) != (secret_key is None):
            raise ValueError("give both access_key and secret_key, or api_key")
        self.access_key, self.secret_key, self.api_key = access_key, secret_key, api_key
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def header(self) -> dict[str, str]:
        if self.api_key is not None:
            return {"Authorization": f"Bearer {self.api_key}"}
        if self.access_key is None or self.secret_key is None:
            return {}
        with self._lock:
            now = time.time()
            if self._token is None or now > self._expires - TOKEN_REFRESH_MARGIN_S:
                self._token = make_jwt(self.access_key, self.secret_key, now)
                self._expires = int(now) + TOKEN_LIFETIME_S
            return {"Authorization": f"Bearer {self._token}"}


# --- webhooks ------------------------------------------------------------------------


def verify_webhook(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes | str,
    tolerance_s: float | None = 300,
    now: float | None = None,
) -> bool:
    """Whether a callback is signed with ``secret`` the Standard Webhooks way.

    The signed content is ``f"{webhook-id}.{webhook-timestamp}.{body}"``; the key is the
    base64 part of a ``whsec_...`` secret (any other string is used as UTF-8 bytes);
    ``webhook-signature`` holds space-separated ``v1,<base64 HMAC-SHA256>`` entries.
    ``tolerance_s`` bounds the timestamp's age (``None``: not checked).
    """
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, sigs = (
        lower.get(k) for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    if not (msg_id and stamp and sigs):
        return False
    try:
        ts = int(stamp)
    except ValueError:
        return False
    if tolerance_s is not None and abs((time.time() if now is None else now) - ts) > tolerance_s:
        return False
    if isinstance(secret, str):
        key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    else:
        key = secret
    payload = body if isinstance(body, bytes) else body.encode()
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + payload, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    for entry in sigs.split():
        version, _, sig = entry.partition(",")
        # A header may hold any text; compare_digest refuses non-ASCII str, so compare bytes.
        if (
            version == "v1"
            and sig.isascii()
            and hmac.compare_digest(sig.encode(), expected.encode())
        ):
            return True
    return False


# --- requests ------------------------------------------------------------------------


def endpoint_name(endpoint: str) -> str:
    """``"omni"``, ``"omni_video"``, ``"/v1/videos/omni-video"`` → ``"omni-video"``."""
    name = endpoint.strip("/")
    if name.startswith("v1/videos/"):
        name = name[len("v1/videos/") :]
    return _ALIASES.get(name, name)


def endpoint_path(endpoint: str) -> str:
    name = endpoint_name(endpoint)
    return ENDPOINTS.get(name, f"/v1/videos/{name}")


def encode_media(value: Any) -> Any:
    """A request's media value: URLs (``http(s)://``) and ``data:`` strings pass, a
    :class:`~pathlib.Path` or a string naming an existing file is read, bytes are taken
    as they are; the last two become raw base64 (no ``data:`` prefix). Any other string
    is passed unchanged (already base64, or an id the server knows)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, os.PathLike):
        return base64.b64encode(Path(value).read_bytes()).decode("ascii")
    if isinstance(value, str):
        if value.startswith(("http://", "https://", "data:")):
            return value
        if len(value) < 4096 and "\n" not in value:
            try:
                if Path(value).is_file():
                    return base64.b64encode(Path(value).read_bytes()).decode("ascii")
            except OSError:
                pass
    return value


def prepare_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Kling request fields with media values encoded (at any depth) and ``None`` dropped."""
    return {key: _prepare(key, value) for key, value in fields.items() if value is not None}


def _prepare(key: str | None, value: Any) -> Any:
    if key in _MEDIA_FIELDS:
        return encode_media(value)
    if isinstance(value, Mapping):
        return {k: _prepare(k, v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        inner = _MEDIA_LIST_FIELDS.get(key or "")
        return [
            _prepare(None, item)
            if isinstance(item, Mapping) or inner is None
            else {inner: encode_media(item)}
            for item in value
        ]
    return value


def _kw(fields: dict[str, Any], **named: Any) -> dict[str, Any]:
    return {**{k: v for k, v in named.items() if v is not None}, **fields}


def _shots(multi_prompt: Any) -> Any:
    """``multi_prompt`` given as ``[(prompt, seconds), ...]`` or as Kling's objects."""
    if multi_prompt is None:
        return None
    out = []
    for i, shot in enumerate(multi_prompt, start=1):
        if isinstance(shot, Mapping):
            out.append(dict(shot))
        else:
            prompt, seconds = shot
            out.append({"index": i, "prompt": prompt, "duration": str(seconds)})
    return out


def _envelope(response: httpx.Response) -> Any:
    """``data`` of a success envelope, or :class:`KlingError`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, Mapping) or "code" not in body:
        fallback = 5000 if response.status_code >= 500 else -1
        text = response.text[:500] if response.content else response.reason_phrase
        raise KlingError(
            fallback, text or f"HTTP {response.status_code}", None, response.status_code
        )
    code = body.get("code")
    if code != 0 or response.status_code >= 400:
        raise KlingError(
            int(code) if isinstance(code, int) else -1,
            str(body.get("message", "")),
            body.get("request_id"),
            response.status_code,
        )
    return body.get("data")


def _task_list(data: Any, endpoint: str) -> list[Task]:
    if isinstance(data, Mapping):  # some servers wrap the page: {"tasks"|"list"|"items": [...]}
        for key in ("tasks", "list", "items", "data"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    return [Task.from_data(item, endpoint) for item in (data or [])]


def _dest_path(task: Task, dest: str | Path, index: int) -> Path:
    dest = Path(dest)
    name = f"{task.task_id}.mp4" if index == 0 else f"{task.task_id}-{index}.mp4"
    if dest.is_dir() or str(dest).endswith(("/", os.sep)) or not dest.suffix:
        dest.mkdir(parents=True, exist_ok=True)
        return dest / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest


class _Base:
    def __init__(
        self,
        base_url: str,
        access_key: str | None = None,
        secret_key: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._auth = _Auth(access_key, secret_key, api_key)

    def _headers(self) -> dict[str, str]:
        return {"Accept": "application/json", **self._auth.header()}

    def _same_origin(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.base_url)
        return (a.scheme, a.netloc) == (b.scheme, b.netloc)

    def _absolute(self, url: str) -> str:
        return urljoin(self.base_url, url)

    @staticmethod
    def _query_path(
        task: Task | str | None, external_task_id: str | None, endpoint: str | None
    ) -> tuple[str, str]:
        ident: str | None
        if isinstance(task, Task):
            name = endpoint_name(endpoint or task.endpoint)
            ident = task.task_id
        else:
            name = endpoint_name(endpoint or "text2video")
            ident = task if task is not None else external_task_id
        if not ident:
            raise ValueError("give a task, a task_id or external_task_id")
        return name, f"{endpoint_path(name)}/{ident}"


# --- progress display ----------------------------------------------------------------


class _Display:
    """A rich bar driven by ``task_progress``, or a spinner when the server has none."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled
        self.label = label
        self._progress: Any = None
        self._bar: Any = None

    def __enter__(self) -> _Display:
        return self

    def update(self, task: Task) -> None:
        if not self.enabled:
            return
        if self._progress is None:
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
            if task.progress is not None:
                columns += [BarColumn(), TaskProgressColumn()]
            columns.append(TimeElapsedColumn())
            from rich.console import Console

            self._progress = Progress(*columns, console=Console(stderr=True), transient=False)
            self._progress.start()
            self._bar = self._progress.add_task(
                self.label, total=100 if task.progress is not None else None
            )
        assert self._bar is not None
        description = f"{self.label} · {task.status}"
        if task.progress is not None:
            self._progress.update(self._bar, completed=task.progress, description=description)
        else:
            self._progress.update(self._bar, description=description)

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()


_TRANSIENT = (httpx.TransportError,)
"""Poll failures :meth:`Client.wait` rides out (a restarting server)."""


def _transient(exc: Exception) -> bool:
    if isinstance(exc, _TRANSIENT):
        return True
    return isinstance(exc, KlingError) and ((exc.http_status or 0) >= 500 or exc.code == 1302)


# --- the products, shared by both clients ---------------------------------------------


R = TypeVar("R")


class _Products(Generic[R]):
    """Kling's products with their field names; each returns ``self.submit(...)``: a
    :class:`Task` from :class:`Client`, an awaitable of one from :class:`AsyncClient`."""

    def submit(self, endpoint: str, **fields: Any) -> R:
        raise NotImplementedError

    def text2video(
        self,
        prompt: str = "",
        *,
        model_name: str | None = None,
        mode: str | None = None,
        duration: str | int | None = None,
        aspect_ratio: str | None = None,
        multi_prompt: Any = None,
        **fields: Any,
    ) -> R:
        """``multi_prompt`` may be ``[(prompt, seconds), ...]``; it sets ``multi_shot``."""
        if multi_prompt is not None:
            fields.setdefault("multi_shot", True)
            fields.setdefault("shot_type", "customize")
        return self.submit(
            "text2video",
            **_kw(
                fields,
                prompt=prompt,
                model_name=model_name,
                mode=mode,
                duration=_dur(duration),
                aspect_ratio=aspect_ratio,
                multi_prompt=_shots(multi_prompt),
            ),
        )

    def image2video(
        self,
        image: Any,
        prompt: str = "",
        *,
        image_tail: Any = None,
        model_name: str | None = None,
        mode: str | None = None,
        duration: str | int | None = None,
        **fields: Any,
    ) -> R:
        return self.submit(
            "image2video",
            **_kw(
                fields,
                image=image,
                image_tail=image_tail,
                prompt=prompt,
                model_name=model_name,
                mode=mode,
                duration=_dur(duration),
            ),
        )

    def omni_video(
        self,
        prompt: str = "",
        *,
        image_list: Any = None,
        element_list: Any = None,
        video_list: Any = None,
        model_name: str | None = None,
        mode: str | None = None,
        duration: str | int | None = None,
        **fields: Any,
    ) -> R:
        """``image_list``/``video_list`` items: Kling's objects, or bare media values."""
        return self.submit(
            "omni-video",
            **_kw(
                fields,
                prompt=prompt,
                image_list=image_list,
                element_list=element_list,
                video_list=video_list,
                model_name=model_name,
                mode=mode,
                duration=_dur(duration),
            ),
        )

    def motion_control(
        self,
        image_url: Any,
        video_url: Any,
        prompt: str = "",
        *,
        character_orientation: str | None = None,
        model_name: str | None = None,
        mode: str | None = None,
        **fields: Any,
    ) -> R:
        return self.submit(
            "motion-control",
            **_kw(
                fields,
                image_url=image_url,
                video_url=video_url,
                prompt=prompt,
                character_orientation=character_orientation,
                model_name=model_name,
                mode=mode,
            ),
        )

    def avatar(
        self,
        image: Any,
        sound_file: Any = None,
        prompt: str = "",
        *,
        audio_id: str | None = None,
        mode: str | None = None,
        **fields: Any,
    ) -> R:
        return self.submit(
            "avatar/image2video",
            **_kw(
                fields,
                image=image,
                sound_file=sound_file,
                audio_id=audio_id,
                prompt=prompt,
                mode=mode,
            ),
        )

    def video_extend(self, video_id: str, prompt: str = "", **fields: Any) -> R:
        return self.submit("video-extend", **_kw(fields, video_id=video_id, prompt=prompt))

    def final(self, task: Task | str, *, mode: str = "4k", **fields: Any) -> R:
        """reelforge extension (``POST /v1/videos/final``): a finished task (a :class:`Task`
        or its ``task_id``) rendered again at 4K with its seed and plan, as a new task
        (query and wait on it like any other; it is priced as a new 4K task)."""
        task_id = task.task_id if isinstance(task, Task) else task
        return self.submit("final", **_kw(fields, task_id=task_id, mode=mode))


# --- sync client ---------------------------------------------------------------------


class Client(_Base, _Products[Task]):
    """Synchronous client. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        access_key: str | None = None,
        secret_key: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, access_key, secret_key, api_key)
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; the envelope's ``data``, or :class:`KlingError`."""
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        return _envelope(self._http.request(method, path.lstrip("/"), headers=headers, **kwargs))

    # submission
    def submit(self, endpoint: str, **fields: Any) -> Task:
        """``POST /v1/videos/<endpoint>`` with Kling's request fields; media encoded."""
        name = endpoint_name(endpoint)
        return Task.from_data(
            self.request("POST", endpoint_path(name), json=prepare_body(fields)), name
        )

    # queries
    def get(
        self,
        task: Task | str | None = None,
        *,
        external_task_id: str | None = None,
        endpoint: str | None = None,
    ) -> Task:
        """A task by :class:`Task`, ``task_id`` or ``external_task_id`` (``endpoint`` is the
        product it was submitted to; a :class:`Task` knows its own)."""
        name, path = self._query_path(task, external_task_id, endpoint)
        return Task.from_data(self.request("GET", path), name)

    def list(self, page: int = 1, size: int = 30, *, endpoint: str = "text2video") -> list[Task]:
        """One page of the account's tasks of one product (``pageNum``/``pageSize``)."""
        name = endpoint_name(endpoint)
        data = self.request("GET", endpoint_path(name), params={"pageNum": page, "pageSize": size})
        return _task_list(data, name)

    def tiers(self) -> Any:
        """reelforge's ``GET /v1/tiers`` (not on Kling)."""
        return self.request("GET", "/v1/tiers")

    def wait(
        self,
        task: Task | str,
        *,
        poll: float = 1.0,
        timeout: float | None = 1800.0,
        progress: bool = True,
        raise_on_failure: bool = True,
        endpoint: str | None = None,
    ) -> Task:
        """Poll until the task ends; a progress bar on stderr while it runs. Transport
        errors, 5xx and rate limits are retried until ``timeout`` (then :class:`TimeoutError`)."""
        current = (
            task
            if isinstance(task, Task)
            else Task(
                task_id=task, status="submitted", endpoint=endpoint_name(endpoint or "text2video")
            )
        )
        deadline = None if timeout is None else time.monotonic() + timeout
        with _Display(progress, f"task {current.task_id}") as display:
            while True:
                try:
                    current = self.get(current, endpoint=endpoint)
                    display.update(current)
                    if current.done:
                        break
                except Exception as exc:  # noqa: BLE001 - filtered just below
                    if not _transient(exc):
                        raise
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"task {current.task_id} still {current.status} after {timeout} s"
                    )
                time.sleep(poll)
        if current.failed and raise_on_failure:
            raise TaskFailed(current)
        return current

    def download(self, task: Task, dest: str | Path = ".", *, index: int = 0) -> Path:
        """Save ``task``'s video ``index`` to ``dest`` (a folder: ``<task_id>.mp4`` in it)."""
        if not task.videos:
            task = self.get(task)
        if not task.videos:
            raise ValueError(f"task {task.task_id} has no video (status {task.status})")
        url = self._absolute(task.videos[index].url)
        path = _dest_path(task, dest, index)
        headers = self._auth.header() if self._same_origin(url) else {}
        partial = path.with_name(path.name + ".part")
        with self._http.stream("GET", url, headers=headers) as response:
            if response.status_code >= 400:
                response.read()
                _envelope(response)
            with partial.open("wb") as out:
                for chunk in response.iter_bytes(1 << 16):
                    out.write(chunk)
        partial.replace(path)
        return path


def _dur(duration: str | int | float | None) -> str | None:
    if duration is None:
        return None
    if isinstance(duration, float) and duration.is_integer():
        duration = int(duration)
    return str(duration)


# --- async client --------------------------------------------------------------------


class AsyncClient(_Base, _Products[Awaitable[Task]]):
    """The same API as :class:`Client`, each call a coroutine."""

    def __init__(
        self,
        base_url: str,
        access_key: str | None = None,
        secret_key: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, access_key, secret_key, api_key)
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        return _envelope(
            await self._http.request(method, path.lstrip("/"), headers=headers, **kwargs)
        )

    async def submit(self, endpoint: str, **fields: Any) -> Task:
        name = endpoint_name(endpoint)
        body = await asyncio.to_thread(prepare_body, fields)  # reading files off the loop
        return Task.from_data(await self.request("POST", endpoint_path(name), json=body), name)

    async def get(
        self,
        task: Task | str | None = None,
        *,
        external_task_id: str | None = None,
        endpoint: str | None = None,
    ) -> Task:
        name, path = self._query_path(task, external_task_id, endpoint)
        return Task.from_data(await self.request("GET", path), name)

    async def list(
        self, page: int = 1, size: int = 30, *, endpoint: str = "text2video"
    ) -> list[Task]:
        name = endpoint_name(endpoint)
        data = await self.request(
            "GET", endpoint_path(name), params={"pageNum": page, "pageSize": size}
        )
        return _task_list(data, name)

    async def tiers(self) -> Any:
        return await self.request("GET", "/v1/tiers")

    async def wait(
        self,
        task: Task | str,
        *,
        poll: float = 1.0,
        timeout: float | None = 1800.0,
        progress: bool = True,
        raise_on_failure: bool = True,
        endpoint: str | None = None,
    ) -> Task:
        current = (
            task
            if isinstance(task, Task)
            else Task(
                task_id=task, status="submitted", endpoint=endpoint_name(endpoint or "text2video")
            )
        )
        deadline = None if timeout is None else time.monotonic() + timeout
        with _Display(progress, f"task {current.task_id}") as display:
            while True:
                try:
                    current = await self.get(current, endpoint=endpoint)
                    display.update(current)
                    if current.done:
                        break
                except Exception as exc:  # noqa: BLE001 - filtered just below
                    if not _transient(exc):
                        raise
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"task {current.task_id} still {current.status} after {timeout} s"
                    )
                await asyncio.sleep(poll)
        if current.failed and raise_on_failure:
            raise TaskFailed(current)
        return current

    async def download(self, task: Task, dest: str | Path = ".", *, index: int = 0) -> Path:
        if not task.videos:
            task = await self.get(task)
        if not task.videos:
            raise ValueError(f"task {task.task_id} has no video (status {task.status})")
        url = self._absolute(task.videos[index].url)
        path = _dest_path(task, dest, index)
        headers = self._auth.header() if self._same_origin(url) else {}
        partial = path.with_name(path.name + ".part")
        async with self._http.stream("GET", url, headers=headers) as response:
            if response.status_code >= 400:
                await response.aread()
                _envelope(response)
            with partial.open("wb") as out:
                async for chunk in response.aiter_bytes(1 << 16):
                    out.write(chunk)
        partial.replace(path)
        return path
