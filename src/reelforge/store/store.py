"""The store as the service uses it: one database and one artifact folder.

:class:`Store` holds the parts, every operation one transaction: :attr:`Store.queue`
(a task's life: submit, claim, heartbeat, settle, requeue; :mod:`reelforge.store.queue`),
:attr:`Store.tasks` (lookups; :mod:`reelforge.store.tasks`), :attr:`Store.outbox` (webhook
deliveries; :mod:`reelforge.store.outbox`), :attr:`Store.artifacts` (task files and their
signed URLs; :mod:`reelforge.store.artifacts`), and the accounts and their credits
(:mod:`reelforge.store.accounts`, :mod:`reelforge.store.ledger`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import accounts, ledger
from .artifacts import LocalArtifacts
from .config import Config
from .db import Database
from .models import Account, Task
from .outbox import Outbox
from .queue import TaskQueue
from .tasks import Tasks

CallbackBody = Callable[[Task, LocalArtifacts, str], dict[str, Any]]
"""``body(task, artifacts, base_url)``: what a task's callback carries at a status change
(the API's wire shape, :func:`reelforge.api.views.callback_body`)."""


class Store:
    def __init__(
        self,
        config: Config,
        db: Database | None = None,
        *,
        callback_body: CallbackBody | None = None,
    ) -> None:
        self.config = config
        self.db = db or Database(config.db_url)
        self.artifacts = LocalArtifacts(
            config.artifacts_dir, config.server_secret(), config.url_ttl_seconds
        )
        self.base_url = config.public_url or "http://127.0.0.1:8000"
        """Base of result URLs in callbacks (queries use the request's base URL)."""
        self.callback_body = callback_body
        """Set by the app that serves this store (``create_app``): the store queues the
        callbacks of status changes but does not speak their wire format."""
        self.outbox = Outbox(self.db, self._callback_body)
        self.queue = TaskQueue(self.db, self.outbox)
        self.tasks = Tasks(self.db)

    # --- accounts and credits -----------------------------------------------------
    def account(self, name: str, *, metered: bool = True) -> Account:
        with self.db.write() as s:
            return accounts.get_or_create_account(s, name, metered=metered)

    def grant(self, account_name: str, amount: int, note: str = "") -> int:
        with self.db.write() as s:
            account = accounts.get_or_create_account(s, account_name)
            return ledger.grant(s, account.id, amount, note)

    def balance(self, account_id: int) -> int:
        with self.db.read() as s:
            return ledger.balance(s, account_id)

    def webhook_secret(self, account_id: int) -> str:
        with self.db.read() as s:
            account = s.get(Account, account_id)
        return (account.webhook_secret if account else None) or self.config.webhook_secret()

    def _callback_body(self, task: Task) -> dict[str, Any]:
        if self.callback_body is None:
            raise RuntimeError(
                f"task {task.id} has a callback_url, but this store was given no callback_body"
            )
        return self.callback_body(task, self.artifacts, self.base_url)
