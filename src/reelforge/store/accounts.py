"""Accounts and their credentials: access key / secret key pairs (for Kling's JWT) and
static API keys (``Authorization: Bearer rfk_...``).

Lookups come from untrusted places (a JWT's ``iss`` is read before its signature can be
checked): a name or key the database cannot hold (NUL, a lone surrogate) is not found,
and never sent to the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..request.text import storable
from .models import AccessKey, Account, now_ms

DEFAULT_ACCOUNT = "default"
LOCAL_ACCOUNT = "local"
"""The single user of a ``--no-auth`` server (unmetered)."""
ACCESS_KEY_BYTES = 16
SECRET_KEY_BYTES = 32
API_KEY_PREFIX = "rfk_"
API_KEY_ID_CHARS = 12
"""The public part of a static key (``rfk_<id>``) that ``keys list`` shows and ``revoke`` takes."""


@dataclass(frozen=True)
class KeyInfo:
    access_key: str
    account: str
    kind: str
    created_at: int
    revoked: bool


def get_or_create_account(s: Session, name: str, *, metered: bool = True) -> Account:
    account = s.scalar(select(Account).where(Account.name == name))
    if account is not None:
        return account
    try:
        with s.begin_nested():
            account = Account(name=name, metered=metered, created_at=now_ms())
            s.add(account)
    except IntegrityError:  # created meanwhile by another process
        account = s.scalar(select(Account).where(Account.name == name))
        assert account is not None
    return account


def find_account(s: Session, name: str) -> Account | None:
    if not storable(name):
        return None
    return s.scalar(select(Account).where(Account.name == name))


def create_key_pair(s: Session, account: Account) -> tuple[str, str]:
    access, secret = secrets.token_hex(ACCESS_KEY_BYTES), secrets.token_hex(SECRET_KEY_BYTES)
    s.add(AccessKey(access_key=access, account_id=account.id, kind="pair", secret=secret))
    return access, secret


def create_api_key(s: Session, account: Account) -> str:
    key_id = API_KEY_PREFIX + secrets.token_hex(API_KEY_ID_CHARS // 2)
    key = f"{key_id}_{secrets.token_urlsafe(SECRET_KEY_BYTES)}"
    s.add(AccessKey(access_key=key_id, account_id=account.id, kind="api_key", secret=_digest(key)))
    return key


def list_keys(s: Session) -> list[KeyInfo]:
    rows = s.execute(
        select(AccessKey, Account.name)
        .join(Account, Account.id == AccessKey.account_id)
        .order_by(AccessKey.created_at)
    )
    return [
        KeyInfo(k.access_key, name, k.kind, k.created_at, k.revoked_at is not None)
        for k, name in rows
    ]


def revoke_key(s: Session, access_key: str) -> bool:
    if not storable(access_key):
        return False
    key = s.get(AccessKey, access_key)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = now_ms()
    return True


def pair_secret(s: Session, access_key: str) -> tuple[str, Account] | None:
    """The secret key and account of an active access key."""
    if not storable(access_key):
        return None
    key = s.get(AccessKey, access_key)
    if key is None or key.kind != "pair" or key.revoked_at is not None:
        return None
    return key.secret, s.get_one(Account, key.account_id)


def api_key_account(s: Session, key: str) -> Account | None:
    """The account of an active static API key."""
    key_id = key[: len(API_KEY_PREFIX) + API_KEY_ID_CHARS]
    if not storable(key_id):
        return None
    row = s.get(AccessKey, key_id)
    if row is None or row.kind != "api_key" or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret, _digest(key)):
        return None
    return s.get_one(Account, row.account_id)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
