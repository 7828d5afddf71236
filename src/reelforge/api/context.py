"""What the routes serve from: the app's :class:`Context` (made by ``create_app``, kept on
``app.state``), the caller of a request (:func:`caller`, the ``Depends`` of every route
that needs one) and the request's id."""

# No ``from __future__ import annotations``: FastAPI reads :func:`caller`'s signature.

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from ..service.callbacks import CallbackSender
from ..service.worker import Executor
from ..store import Config, Store
from ..store.models import Account
from .auth import RateLimiter, authenticate
from .inputs import InputFetcher


@dataclass(frozen=True)
class Context:
    """One app's store, workers and settings."""

    config: Config
    store: Store
    executor: Executor
    sender: CallbackSender
    fetcher: InputFetcher
    limiter: RateLimiter
    local: Account | None
    """The single user of a ``--no-auth`` server; ``None``: every caller authenticates."""

    def base_url(self, request: Request) -> str:
        """Base of the result URLs in an answer to ``request``."""
        return self.config.public_url or str(request.base_url)


def context(request: Request) -> Context:
    return request.app.state.context


def caller(request: Request) -> Account:
    """The caller (once per request: the app's ``admit`` may have found it already)."""
    user: Account | None = getattr(request.state, "account", None)
    if user is None:
        ctx = context(request)
        user = (
            ctx.local
            if ctx.local is not None
            else authenticate(ctx.store, request.headers.get("authorization"))
        )
        ctx.limiter.take(user.id)
        request.state.account = user
    return user


Caller = Annotated[Account, Depends(caller)]


def request_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or uuid.uuid4().hex
