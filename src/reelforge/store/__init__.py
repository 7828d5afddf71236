"""The store: accounts, keys, tasks, the credit ledger, webhook deliveries (SQLAlchemy,
SQLite by default, PostgreSQL by URL, Alembic migrations) and artifact files.

A task is queued, claimed, kept alive and settled in :mod:`reelforge.store.queue`."""

from .config import Config, ConfigError, default_home, load_config
from .ledger import OutOfCredits
from .models import TaskStatus
from .queue import DuplicateExternalId, NewTask, TooManyTasks, new_task_id, new_worker_id
from .store import Store

__all__ = [
    "Config",
    "ConfigError",
    "DuplicateExternalId",
    "NewTask",
    "OutOfCredits",
    "Store",
    "TaskStatus",
    "TooManyTasks",
    "default_home",
    "load_config",
    "new_task_id",
    "new_worker_id",
]
