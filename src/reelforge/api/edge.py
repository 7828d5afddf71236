"""The HTTP edge: what is refused before a request reaches a route, in Kling's envelope.

Two pure ASGI middlewares (pure, so that they see the body as it streams and the
``Host`` before anything else runs):

- :class:`BodyLimit` counts a body's bytes as they arrive and refuses it (413) the
  moment it passes its limit, whether or not a ``Content-Length`` was sent, so a
  chunked body is never buffered past the limit. Before the first byte of a body is
  handed to the app it asks ``admit`` who may send it: that is where a route that
  needs credentials checks them (401 before the body is read: FastAPI reads and parses
  a body before it runs any dependency), and where routes open to anyone get a
  smaller limit.
- :class:`HostAllowList` refuses (400) a ``Host`` outside an allow-list. It guards the
  ``--no-auth`` mode: without it a web page could reach the loopback API through DNS
  rebinding (its own name, resolved to 127.0.0.1). Starlette's ``TrustedHostMiddleware``
  answers in plain text and cuts ``[::1]:8000`` at its first colon, hence this one.

Starlette 1.x has a ``RequestBodyLimitMiddleware`` (FastAPI 0.165's ``max_body_size``),
but it answers in plain text, knows nothing of credentials, and would raise the
project's FastAPI floor (0.110).
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NoReturn
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import BAD_PARAMETERS, INTERNAL, KlingError
from .views import envelope

log = logging.getLogger("reelforge.api")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
"""The names a ``--no-auth`` server always answers to (any loopback address does)."""
MAX_LENGTH_DIGITS = 18
"""Digits of a ``Content-Length`` read as a number (Python refuses ``int()`` of huge ones)."""
HOST_SHOWN_CHARS = 100
"""How much of a refused ``Host`` header the error message repeats."""

Admit = Callable[[Scope], Awaitable[int]]
"""``admit(scope)``: the body limit for this request, or a :class:`KlingError` refusing
it; awaited once, before the first byte of the body is handed to the app."""


class BodyLimit:
    """Refuses a request body over ``max_bytes`` (or over what ``admit`` allows) as it
    streams, and runs ``admit`` before the app reads a byte of it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, admit: Admit) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.admit = admit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await refuse(scope, receive, send, too_large(declared, self.max_bytes))
            return
        await _GuardedBody(self, scope, receive, send, declared).run()


class _Refused(Exception):
    """Raised into the app from ``receive``: the body is refused, stop reading it."""


class _GuardedBody:
    """One request's body: admitted once, counted as it arrives.

    When the body is refused, the app sees :class:`_Refused` from ``receive``; whatever
    it answers to that is dropped, and the refusal is sent instead.
    """

    def __init__(
        self, edge: BodyLimit, scope: Scope, receive: Receive, send: Send, declared: int | None
    ) -> None:
        self.edge, self.scope, self._receive, self._send = edge, scope, receive, send
        self.declared = declared
        self.limit: int | None = None
        self.received = 0
        self.refusal: KlingError | None = None
        self.started = False

    async def run(self) -> None:
        try:
            await self.edge.app(self.scope, self.receive, self.send)
        except Exception:
            if self.refusal is None or self.started:
                raise
        if self.refusal is not None and not self.started:
            await refuse(self.scope, self._receive, self._send, self.refusal)

    async def receive(self) -> Message:
        if self.refusal is not None:
            raise _Refused(self.refusal.message)
        limit = self.limit
        if limit is None:
            limit = self.limit = min(self.edge.max_bytes, await self._admit())
            if self.declared is not None and self.declared > limit:
                self._refuse(too_large(self.declared, limit))
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > limit:
                self._refuse(too_large(None, limit))
        return message

    async def send(self, message: Message) -> None:
        if self.refusal is not None and not self.started:
            return  # the app's answer to the refusal; the refusal goes out instead
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def _admit(self) -> int:
        try:
            return await self.edge.admit(self.scope)
        except KlingError as exc:
            self._refuse(exc)
        except Exception as exc:
            log.exception("admitting a request body failed")
            self._refuse(KlingError(INTERNAL, f"internal error ({type(exc).__name__})"))

    def _refuse(self, error: KlingError) -> NoReturn:
        self.refusal = error
        raise _Refused(error.message)


def too_large(size: int | None, limit: int) -> KlingError:
    """413: the body (of ``size`` bytes, when declared) is over ``limit``."""
    told = f"of {size} bytes " if size is not None else ""
    return KlingError(
        BAD_PARAMETERS,
        f"request body: a body {told}is over the {limit}-byte limit ({limit / 2**20:g} MiB)",
        413,
    )


def route_depends_on(route: Any, dependency: Callable[..., Any]) -> bool:
    """Whether a FastAPI route (``scope["route"]``) runs ``dependency``, at any depth."""
    dependant = getattr(route, "dependant", None)
    stack = [dependant] if dependant is not None else []
    while stack:
        for sub in stack.pop().dependencies:
            if sub.call is dependency:
                return True
            stack.append(sub)
    return False


class HostAllowList:
    """Refuses (400) a request whose ``Host`` is not loopback nor one of ``hosts``."""

    def __init__(self, app: ASGIApp, *, hosts: Iterable[str]) -> None:
        hosts = list(hosts)
        self.app = app
        self.hosts = frozenset(h for h in (host_name(h) for h in hosts) if h)
        self.any = "*" in hosts
        """``*`` in the list turns the check off (the operator's explicit choice)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.any:
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("host", "")
        name = host_name(header)
        if name in self.hosts or _is_loopback(name):
            await self.app(scope, receive, send)
            return
        await refuse(scope, receive, send, self._refusal(header, name))

    def _refusal(self, header: str, name: str) -> KlingError:
        shown = header[:HOST_SHOWN_CHARS] + ("…" if len(header) > HOST_SHOWN_CHARS else "")
        served = ", ".join([*LOOPBACK_NAMES, *sorted(self.hosts - {"localhost"})])
        allow = name or "<name>"
        return KlingError(
            BAD_PARAMETERS,
            f"Host {shown!r} is not allowed while auth is off (--no-auth); this server "
            f"answers to {served}. To allow it, start it with `reelforge serve --no-auth "
            f"--allowed-host {allow}` (or add it to allowed_hosts in config.toml)",
        )


def host_name(value: str) -> str:
    """The name in a ``Host`` header or an allow-list entry: lower case, no port, no
    brackets, no trailing dot; ``""`` when there is none."""
    try:
        name = urlsplit("//" + value.strip()).hostname or ""
    except ValueError:  # "[::1" and the like
        return ""
    return name.rstrip(".")


def allowed_hosts(public_url: str, extra: Iterable[str]) -> list[str]:
    """What a ``--no-auth`` server answers to besides loopback: ``public_url``'s host and
    the configured extra hosts."""
    hosts = [urlsplit(public_url).hostname or ""] if public_url else []
    return [h for h in (*hosts, *extra) if h]


async def refuse(scope: Scope, receive: Receive, send: Send, error: KlingError) -> None:
    """Send ``error`` in Kling's envelope, with the request id the app gave this request."""
    rid = scope.get("state", {}).get("request_id") or uuid.uuid4().hex
    body = envelope(None, rid, error.code, error.message)
    await JSONResponse(body, status_code=error.status)(scope, receive, send)


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _content_length(scope: Scope) -> int | None:
    """The declared body size; absurdly long numbers count as too large, not as absent."""
    value = (Headers(scope=scope).get("content-length") or "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    return int(value) if len(value) <= MAX_LENGTH_DIGITS else 10**MAX_LENGTH_DIGITS
