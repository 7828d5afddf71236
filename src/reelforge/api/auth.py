"""Who is calling: Kling's JWT (HS256, ``iss`` = access key, ``exp``, ``nbf``) checked
against the stored secret key on every call, or a static API key, both as
``Authorization: Bearer ...``; and a token bucket per account."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import jwt

from ..store import Store
from ..store import accounts as acc
from ..store.models import Account
from .errors import (
    AUTH_EMPTY,
    AUTH_FAILED,
    AUTH_INVALID,
    RATE_LIMITED,
    TOKEN_EXPIRED,
    TOKEN_NOT_YET_VALID,
    KlingError,
)

JWT_ALGORITHMS = ["HS256"]
JWT_LEEWAY_S = 5
"""Clock skew allowed on ``exp``, ``nbf`` and ``iat``."""
JWT_TIME_CLAIMS = ("exp", "nbf", "iat")
"""Claims that are times (RFC 7519 NumericDate): JSON numbers, checked before PyJWT reads
them, since PyJWT takes ``"9999999999"`` or ``true`` for a time (it calls ``int()``)."""


def authenticate(store: Store, header: str | None) -> Account:
    """The account an ``Authorization`` header proves, or a :class:`KlingError` (1000–1004)."""
    if header is None or not header.strip():
        raise KlingError(AUTH_EMPTY, "Authorization is empty: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise KlingError(AUTH_INVALID, "Authorization is invalid: expected 'Bearer <token>'")
    if token.count(".") == 2:
        return _jwt_account(store, token)
    if not token.startswith(acc.API_KEY_PREFIX):
        raise KlingError(AUTH_INVALID, "Authorization is invalid: neither a JWT nor an API key")
    with store.db.read() as s:
        account = acc.api_key_account(s, token)
    if account is None:
        raise KlingError(AUTH_FAILED, "auth failed: unknown or revoked API key")
    return account


def _jwt_account(store: Store, token: str) -> Account:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise KlingError(
            AUTH_INVALID, f"Authorization is invalid: not a readable JWT ({exc})"
        ) from None
    if header.get("alg") not in JWT_ALGORITHMS:
        # A readable token signed any other way (``alg: none`` above all) is a forgery:
        # Kling answers forged JWTs with 1000, not with 1002 (a malformed header).
        raise KlingError(
            AUTH_FAILED,
            f"auth failed: the token must be signed with HS256, not {header.get('alg')!r}",
        )
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise KlingError(
            AUTH_INVALID, "Authorization is invalid: the token has no iss (access key)"
        )
    _check_time_claims(claims)
    with store.db.read() as s:
        found = acc.pair_secret(s, issuer)
    if found is None:
        raise KlingError(AUTH_FAILED, "auth failed: unknown or revoked access key")
    secret, account = found
    try:
        jwt.decode(
            token,
            secret,
            algorithms=JWT_ALGORITHMS,
            leeway=JWT_LEEWAY_S,
            options={"require": ["exp"]},
        )
    # PyJWT checks the signature first, so every error but InvalidSignatureError is
    # about the claims of a token this account's secret did sign.
    except jwt.InvalidSignatureError:
        raise KlingError(AUTH_FAILED, "auth failed: the token's signature does not match") from None
    except jwt.ExpiredSignatureError:
        raise KlingError(
            TOKEN_EXPIRED, "token expired: make a new JWT (exp is in the past)"
        ) from None
    except jwt.ImmatureSignatureError:
        claim = "nbf" if _in_future(claims.get("nbf")) else "iat"
        raise KlingError(
            TOKEN_NOT_YET_VALID, f"token not yet valid ({claim} is in the future)"
        ) from None
    except jwt.PyJWTError as exc:
        raise KlingError(AUTH_INVALID, f"Authorization is invalid: {exc}") from None
    return account


def _check_time_claims(claims: dict[str, Any]) -> None:
    """``exp``, ``nbf`` and ``iat``, where present, are finite JSON numbers (1002 if not)."""
    for name in JWT_TIME_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            shown = repr(value)
            shown = shown[:40] + "…" if len(shown) > 40 else shown
            raise KlingError(
                AUTH_INVALID,
                f"Authorization is invalid: {name} must be a number (seconds since the epoch), "
                f"not {shown}",
            )


def _in_future(value: Any) -> bool:
    return isinstance(value, (int, float)) and value > time.time() + JWT_LEEWAY_S


class RateLimiter:
    """A token bucket per account: ``rate`` requests per second, bursts of ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, account_id: int) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(account_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[account_id] = (tokens, now)
                wait = (1 - tokens) / self.rate
                raise KlingError(
                    RATE_LIMITED,
                    f"rate limit: {self.rate:g} requests/s (bursts of {self.burst}); retry in {wait:.2f} s",
                )
            self._buckets[account_id] = (tokens - 1, now)
