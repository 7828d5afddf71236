"""Server configuration: one data dir (``REELFORGE_HOME``) shared by ``serve``, ``keys`` and
``credits``, a ``config.toml`` inside it, and ``REELFORGE_*`` environment overrides.

Precedence: built-in defaults < ``$REELFORGE_HOME/config.toml`` < environment < command-line
options (applied by the caller with :meth:`Config.replace`).
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..errors import ReelforgeError

HOME_ENV = "REELFORGE_HOME"
DATABASE_URL_ENV = "REELFORGE_DATABASE_URL"
ENV_PREFIX = "REELFORGE_"
CONFIG_FILE = "config.toml"
DATABASE_FILE = "reelforge.db"
ARTIFACTS_DIR = "artifacts"
SERVER_SECRET_FILE = "server_secret"
"""HMAC key for signed artifact URLs; created on first use, readable by the owner only."""
WEBHOOK_SECRET_FILE = "webhook_secret"
"""Default ``whsec_`` secret for callbacks when neither config nor the account sets one."""
WEBHOOK_SECRET_PREFIX = "whsec_"

DEFAULT_MAX_RUNNING_TASKS = 50
"""Unfinished (submitted + processing) tasks one account may have; more is Kling's 1303."""
DEFAULT_RATE_LIMIT_PER_SECOND = 20.0
DEFAULT_RATE_LIMIT_BURST = 200
DEFAULT_URL_TTL_S = 30 * 24 * 3600
"""Result URLs expire like Kling's (30 days)."""


class ConfigError(ReelforgeError):
    """The config file or an environment override cannot be used."""


@dataclass(frozen=True)
class Config:
    """Everything the service reads at start-up."""

    home: Path
    database_url: str = ""
    previz: bool = False
    allow_private_urls: bool = False
    max_running_tasks: int = DEFAULT_MAX_RUNNING_TASKS
    rate_limit_per_second: float = DEFAULT_RATE_LIMIT_PER_SECOND
    rate_limit_burst: int = DEFAULT_RATE_LIMIT_BURST
    callback_secret: str = ""
    public_url: str = ""
    url_ttl_seconds: int = DEFAULT_URL_TTL_S
    workers: int = 1
    no_auth: bool = False
    allowed_hosts: tuple[str, ...] = ()
    """``Host`` names served while auth is off, besides loopback and ``public_url``'s host
    (``--allowed-host``; ``REELFORGE_ALLOWED_HOSTS`` separates them with commas)."""

    @property
    def artifacts_dir(self) -> Path:
        return self.home / ARTIFACTS_DIR

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / DATABASE_FILE}"

    def replace(self, **changes: Any) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def server_secret(self) -> bytes:
        """The HMAC key for artifact URLs (created once, kept in the data dir)."""
        return base64.b64decode(_secret_file(self.home / SERVER_SECRET_FILE, _new_b64))

    def webhook_secret(self) -> str:
        """The server-wide ``whsec_`` callback secret: config / env, else the data dir's."""
        if self.callback_secret:
            return self.callback_secret
        return _secret_file(self.home / WEBHOOK_SECRET_FILE, new_webhook_secret)


def default_home() -> Path:
    """``$REELFORGE_HOME``, else the user's data folder."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    try:
        import platformdirs

        return Path(platformdirs.user_data_dir("reelforge", appauthor=False))
    except ImportError:  # the serve extra is not installed
        return Path.home() / ".local" / "share" / "reelforge"


def load_config(home: Path | None = None) -> Config:
    """Defaults, then ``config.toml`` in the data dir, then ``REELFORGE_*`` variables."""
    home = (home or default_home()).resolve()
    home.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {}
    path = home / CONFIG_FILE
    if path.exists():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    known = {f.name: f for f in fields(Config) if f.name != "home"}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown keys {', '.join(unknown)} (known: {', '.join(known)})")
    for name in known:
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env is not None and env != "":
            values[name] = env
    if os.environ.get(DATABASE_URL_ENV):
        values["database_url"] = os.environ[DATABASE_URL_ENV]
    typed = {name: _coerce(name, value, known[name].type) for name, value in values.items()}
    return Config(home=home, **typed)


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + _new_b64()


def _new_b64() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _secret_file(path: Path, make: Any) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own per call (mkstemp: mode 0600): racing threads of one process
        # must not share a temporary file, or one unlinks it before the other links it.
        fd, name = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "w") as f:
            f.write(make())
        try:
            os.link(tmp, path)  # first writer wins; a racing writer reads the winner's
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def _coerce(name: str, value: Any, kind: Any) -> Any:
    kind = kind if isinstance(kind, str) else kind.__name__
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{value!r} is not a boolean")
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "tuple[str, ...]":
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, (list, tuple)):
                raise ValueError(f"{value!r} is not a list of strings")
            return tuple(str(v).strip() for v in items if str(v).strip())
        return str(value)
    except ValueError as exc:
        raise ConfigError(f"config {name}: {exc}") from exc
