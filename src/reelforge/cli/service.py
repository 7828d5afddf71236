"""The service: ``reelforge serve``, ``keys`` and ``credits``."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError, ReelforgeError
from .app import TABLE_WIDTH, app, console, fail

# --- the service: serve, keys, credits ----------------------------------------------
keys_app = typer.Typer(
    help="Access keys (JWT) and static API keys of the server's accounts.", no_args_is_help=True
)
credits_app = typer.Typer(help="Credits of the server's accounts.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(credits_app, name="credits")
AccountName = Annotated[
    str, typer.Option("--account", "-a", help="Account name (created when needed).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: any free port).")] = 8000,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Single-user mode without keys (loopback only).")
    ] = False,
    previz: Annotated[
        bool, typer.Option("--previz", help="Render every tier with the animatic engine.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Tasks rendered at once (default 1, or config).")
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="With --no-auth: a Host name to serve besides loopback and public_url's "
            "(repeatable; config: allowed_hosts).",
        ),
    ] = None,
) -> None:
    """Run the Kling-compatible task API (data in $REELFORGE_HOME)."""
    import socket

    config = _service_config()
    config = config.replace(
        previz=True if previz else None,
        workers=workers,
        no_auth=no_auth or None,
        allowed_hosts=(*config.allowed_hosts, *allowed_host) if allowed_host else None,
    )
    if config.no_auth and not _is_loopback(host):
        fail(
            InputError(
                "--no-auth",
                host,
                "a loopback host",
                f"--no-auth is refused on {host}; it is allowed on 127.0.0.1, ::1 or localhost only",
            )
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        fail(ReelforgeError(f"cannot listen on {host}:{port}: {exc}"))
    sock.listen(2048)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host

    import uvicorn

    from ..api.app import create_app
    from ..store import Store

    store = Store(config)
    store.base_url = config.public_url or f"http://{shown}:{port}"
    web = create_app(config, store=store)
    typer.echo(f"reelforge listening on http://{shown}:{port}")
    typer.echo(f"data: {config.home}")
    if config.previz:
        typer.echo("previz: every tier renders with the animatic engine")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning", timeout_graceful_shutdown=5))
    server.run(sockets=[sock])


@keys_app.command("create")
def keys_create(
    account: AccountName = "default",
    as_json: AsJson = False,
    api_key: Annotated[
        bool,
        typer.Option("--api-key", help="Create a static API key (Bearer) instead of a key pair."),
    ] = False,
) -> None:
    """Create an access key / secret key pair (or a static API key) for an account."""
    from ..store import accounts as acc

    store = _service_store()
    with store.db.write() as s:
        owner = acc.get_or_create_account(s, account)
        if api_key:
            out = {"api_key": acc.create_api_key(s, owner)}
        else:
            access, secret = acc.create_key_pair(s, owner)
            out = {"access_key": access, "secret_key": secret}
    if as_json:
        typer.echo(json.dumps(out))
        return
    for name, value in out.items():
        typer.echo(f"{name}: {value}")
    console.print(f"account {account}: keep the secret safe, it is shown only now")


@keys_app.command("list")
def keys_list(as_json: AsJson = False) -> None:
    """Every key: access key (or API key id), account, kind, created, revoked."""
    from ..store import accounts as acc

    store = _service_store()
    with store.db.read() as s:
        rows = acc.list_keys(s)
    if as_json:
        typer.echo(json.dumps([vars(r) for r in rows]))
        return
    table = Table(title="keys")
    for col in ("access key", "account", "kind", "created", "revoked"):
        table.add_column(col, no_wrap=True)
    for r in rows:
        table.add_row(
            r.access_key, r.account, r.kind, _when(r.created_at), "yes" if r.revoked else ""
        )
    out = Console()
    out.width = max(out.width, TABLE_WIDTH)
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    access_key: Annotated[str, typer.Argument(help="An access key or an API key id (rfk_...).")],
) -> None:
    """Revoke a key: tokens signed with it are refused from the next request on."""
    from ..store import accounts as acc

    store = _service_store()
    with store.db.write() as s:
        done = acc.revoke_key(s, access_key)
    if not done:
        fail(ReelforgeError(f"no active key {access_key!r}"))
    console.print(f"revoked {access_key}")


@credits_app.command("grant")
def credits_grant(
    amount: Annotated[int, typer.Argument(help="Credits to add (positive).")],
    account: AccountName = "default",
) -> None:
    """Add credits to an account; prints the new balance."""
    if amount <= 0:
        fail(InputError("AMOUNT", amount, "> 0", f"{amount} is not a positive number of credits"))
    balance = _service_store().grant(account, amount, note="cli grant")
    typer.echo(str(balance))


@credits_app.command("balance")
def credits_balance(account: AccountName = "default") -> None:
    """An account's balance (credits held by running tasks are already taken off)."""
    from ..store import accounts as acc
    from ..store import ledger

    store = _service_store()
    with store.db.read() as s:
        owner = acc.find_account(s, account)
        total = ledger.balance(s, owner.id) if owner else 0
    typer.echo(str(total))


def _service_config() -> Any:
    from ..store.config import ConfigError, load_config

    try:
        return load_config()
    except ConfigError as exc:
        fail(exc)


def _service_store() -> Any:
    from ..store import Store

    return Store(_service_config())


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _when(ms: int) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")
