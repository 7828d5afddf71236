"""The store: accounts, keys, tasks, the credit ledger, webhook deliveries (SQLAlchemy,
SQLite by default, PostgreSQL by URL, Alembic migrations) and artifact files."""

from .config import Config, ConfigError, default_home, load_config
from .ledger import OutOfCredits
from .service import DuplicateExternalId, NewTask, Store, TooManyTasks, new_task_id, new_worker_id

__all__ = [
    "Config",
    "ConfigError",
    "DuplicateExternalId",
    "NewTask",
    "OutOfCredits",
    "Store",
    "TooManyTasks",
    "default_home",
    "load_config",
    "new_task_id",
    "new_worker_id",
]
