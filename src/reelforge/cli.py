"""The ``reelforge`` command line: render, inspect the lineup, estimate costs, and run the
service (``serve``, ``keys``, ``credits``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .errors import Cancelled, EngineUnavailable, InputError, ReelforgeError
from .spec import limits

app = typer.Typer(
    help="reelforge: Kling-style video generation on your own machine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
TABLE_WIDTH = 150
"""Tables are printed at least this wide, also into pipes, so no name is cut."""

# --- options shared by the render commands ---------------------------------------
Tier = Annotated[str | None, typer.Option("--tier", "-t", help="Tier or Kling model name; default: the selection guide's choice.")]
Duration = Annotated[float | None, typer.Option("--duration", "-d", help="Seconds (3–15; default 5, or the sum of the shots).")]
Aspect = Annotated[str | None, typer.Option("--aspect", help="16:9, 9:16 or 1:1 (default: the image's, else 16:9).")]
Resolution = Annotated[str, typer.Option("--resolution", "-r", help="720p, 1080p or 4k.")]
Seed = Annotated[int | None, typer.Option("--seed", help="Reuse a seed to reproduce a render.")]
AudioFlag = Annotated[bool, typer.Option("--audio/--no-audio", help="Generate sound (dialogue, ambience).")]
Output = Annotated[Path, typer.Option("--output", "-o", help="Folder or .mp4 path.")]
Previz = Annotated[bool, typer.Option("--previz", help="Render the chosen tier's plan with the animatic engine.")]
Size = Annotated[str | None, typer.Option("--size", help="WxH override for quick checks, e.g. 64x64.")]
Steps = Annotated[int | None, typer.Option("--steps", help="Denoising steps override (diffusion engines).")]
Prompt = Annotated[str, typer.Option("--prompt", "-p", help="What should happen.")]
ModelPath = Annotated[Path | None, typer.Option("--model-path", help="A diffusers folder of the tier's engine (as save_pretrained writes it) instead of the pulled weights.")]
Preset = Annotated[str | None, typer.Option("--preset", help="Speed preset: quality (exact), balanced or fast; default: chosen from the GPU's memory.")]
LowVram = Annotated[bool | None, typer.Option("--low-vram/--no-low-vram", help="Offload weights to the CPU and tile the VAE (default: when the model does not fit the GPU).")]
Device = Annotated[str | None, typer.Option("--device", help="cuda, cuda:1, cpu... (default: the first GPU, else the CPU).")]
PRESETS = ("quality", "balanced", "fast")


@app.command()
def video(
    prompt: Annotated[str, typer.Argument(help="The prompt; lines like 'Shot 1 (3s): ...' make a multi-shot storyboard.")],
    image: Annotated[Path | None, typer.Option("--image", "-i", help="Start frame (image-to-video).")] = None,
    end_image: Annotated[Path | None, typer.Option("--end-image", help="End frame.")] = None,
    duration: Duration = None,
    aspect: Aspect = None,
    resolution: Resolution = limits.DEFAULT_RESOLUTION,
    tier: Tier = None,
    seed: Seed = None,
    audio: AudioFlag = True,
    draft: Annotated[bool, typer.Option("--draft", help="Fast draft (picks turbo/budget).")] = False,
    negative: Annotated[str, typer.Option("--negative", help="What to avoid.")] = "",
    intelligence: Annotated[bool, typer.Option("--auto-shots", help="Let the planner split the prompt into shots.")] = False,
    output: Output = Path("out"),
    previz: Previz = False,
    size: Size = None,
    steps: Steps = None,
    model_path: ModelPath = None,
    preset: Preset = None,
    low_vram: LowVram = None,
    device: Device = None,
) -> None:
    """Text-to-video, or image-to-video with --image (and --end-image)."""
    data: dict[str, Any] = {
        "workflow": "image2video" if image else "text2video",
        "prompt": prompt, "negative_prompt": negative, "duration": duration,
        "aspect_ratio": aspect, "resolution": resolution, "tier": tier, "seed": seed,
        "audio": audio, "draft": draft,
    }
    if image:
        data.update(image=image, end_image=end_image)
    elif end_image:
        _fail(InputError("end_image", str(end_image), "image", "an end frame needs a start frame (--image)"))
    if intelligence:
        data.update(multi_shot=True, shot_type="intelligence")
    else:
        _shot_script(data)
    _render(data, output, previz, size, steps, _engine_options(model_path, preset, low_vram, device))


@app.command()
def omni(
    prompt: Annotated[str, typer.Argument(help="Refer to references as <<<image_1>>>, <<<element_1>>> or @Name.")],
    image: Annotated[list[Path], typer.Option("--image", "-i", help="Reference image (repeatable): <<<image_N>>>.")] = [],  # noqa: B006
    element: Annotated[list[str], typer.Option("--element", "-e", help="NAME=IMAGE (repeatable): @NAME.")] = [],  # noqa: B006
    ref_video: Annotated[Path | None, typer.Option("--video", help="Reference video: <<<video_1>>>.")] = None,
    keep_sound: Annotated[bool, typer.Option("--keep-sound", help="Keep the reference video's sound.")] = False,
    duration: Duration = None,
    aspect: Aspect = None,
    resolution: Resolution = limits.DEFAULT_RESOLUTION,
    tier: Tier = None,
    seed: Seed = None,
    audio: AudioFlag = True,
    output: Output = Path("out"),
    previz: Previz = False,
    size: Size = None,
    steps: Steps = None,
    model_path: ModelPath = None,
    preset: Preset = None,
    low_vram: LowVram = None,
    device: Device = None,
) -> None:
    """Reference-anchored generation: keep people, props and places from images or a video."""
    elements = []
    for spec in element:
        name, sep, path = spec.partition("=")
        if not sep or not name.strip() or not path.strip():
            _fail(InputError("element", spec, "NAME=IMAGE", f"{spec!r} is not NAME=IMAGE"))
        elements.append({"name": name.strip(), "images": [path.strip()]})
    data = {
        "workflow": "omni", "prompt": prompt, "duration": duration, "aspect_ratio": aspect,
        "resolution": resolution, "tier": tier, "seed": seed, "audio": audio,
        "images": [{"path": p} for p in image], "elements": elements,
        "video": {"path": ref_video, "keep_original_sound": keep_sound} if ref_video else None,
    }
    _shot_script(data)
    _render(data, output, previz, size, steps, _engine_options(model_path, preset, low_vram, device))


@app.command()
def motion(
    image: Annotated[Path, typer.Argument(help="The character.")],
    video: Annotated[Path, typer.Argument(help="The action to transfer.")],
    orientation: Annotated[str, typer.Option("--orientation", help="image: keep the image's facing (≤ 10 s); video: follow the video's (≤ 30 s).")] = "image",
    keep_sound: Annotated[bool, typer.Option("--keep-sound/--no-keep-sound", help="Keep the reference video's sound.")] = True,
    prompt: Prompt = "",
    resolution: Resolution = limits.DEFAULT_RESOLUTION,
    tier: Tier = None,
    seed: Seed = None,
    output: Output = Path("out"),
    previz: Previz = False,
    size: Size = None,
    steps: Steps = None,
    model_path: ModelPath = None,
    preset: Preset = None,
    low_vram: LowVram = None,
    device: Device = None,
) -> None:
    """Motion control: the character performs the reference video's action."""
    data = {
        "workflow": "motion", "image": image, "video": video, "character_orientation": orientation,
        "keep_original_sound": keep_sound, "prompt": prompt, "resolution": resolution,
        "tier": tier, "seed": seed,
    }
    _render(data, output, previz, size, steps, _engine_options(model_path, preset, low_vram, device))


@app.command()
def avatar(
    image: Annotated[Path, typer.Argument(help="The face.")],
    audio_file: Annotated[Path, typer.Argument(help="The speech or song (≤ 5 min).")],
    prompt: Prompt = "",
    resolution: Resolution = limits.DEFAULT_RESOLUTION,
    tier: Tier = None,
    seed: Seed = None,
    output: Output = Path("out"),
    previz: Previz = False,
    size: Size = None,
    steps: Steps = None,
    model_path: ModelPath = None,
    preset: Preset = None,
    low_vram: LowVram = None,
    device: Device = None,
) -> None:
    """Talking avatar: one image and one audio, lip-synced, 48 fps."""
    data = {
        "workflow": "avatar", "image": image, "audio_file": audio_file, "prompt": prompt,
        "resolution": resolution, "tier": tier, "seed": seed,
    }
    _render(data, output, previz, size, steps, _engine_options(model_path, preset, low_vram, device))


@app.command()
def pull(
    tier: Annotated[str | None, typer.Argument(help="Tier (cinema, turbo...), Kling model name (kling-v3...) or engine.")] = None,
    revision: Annotated[str | None, typer.Option("--revision", help="Branch, tag or commit instead of the lineup table's.")] = None,
    models_dir: Annotated[Path | None, typer.Option("--models-dir", help="Download into this $REELFORGE_MODELS-style folder (<dir>/<owner>/<repo>) instead of the Hugging Face cache.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="Show each tier's repositories and whether they are here; download nothing.")] = False,
) -> None:
    """Download a tier's model weights from the Hugging Face Hub (resumable)."""
    import os

    from rich.progress import DownloadColumn, TransferSpeedColumn

    from .engines import weights

    if list_:
        _list_weights(tier, models_dir)
        return
    if tier is None:
        _fail(InputError("tier", "", "a tier", "name a tier to pull (or --list to see them)"))
    try:
        _, _, refs = weights.weights_for(tier)
    except (InputError, EngineUnavailable) as exc:
        _fail(exc)
    for ref in refs:
        console.print(f"pulling {ref.repo_id} ({ref.role}, {revision or ref.revision}): {', '.join(ref.allow_patterns) or 'everything'}")
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), DownloadColumn(), TransferSpeedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            pulled = weights.pull(tier, weights.rich_progress_factory(bar), revision=revision, models_dir=models_dir)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: run the same command again to resume")
        raise typer.Exit(130) from None
    except Exception as exc:  # network, authentication, offline mode: huggingface_hub's errors
        offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        console.print(f"[red]download failed[/]: {type(exc).__name__}: {exc}")
        console.print("HF_HUB_OFFLINE is set: unset it to download" if offline else "run the same command again to resume")
        raise typer.Exit(1) from None
    failed = False
    for item in pulled:
        if item.complete:
            console.print(f"[green]ok[/] {item.ref.repo_id} ({item.ref.role}) → {item.folder}")
        else:
            failed = True
            console.print(f"[red]incomplete[/] {item.ref.repo_id} ({item.ref.role}): {'; '.join(item.problems)}")
    if failed:
        raise typer.Exit(1)


def _list_weights(name: str | None, models_dir: Path | None) -> None:
    from .engines import weights
    from .lineup import TIERS

    names = [name] if name else [t for t in TIERS if TIERS[t].traits.weights]
    table = Table(title="model weights (HF cache" + (f" and {models_dir}" if models_dir else "") + ")")
    for col in ("tier", "engine", "repository", "role", "revision", "state", "where"):
        table.add_column(col, no_wrap=col in ("tier", "engine", "state"))
    styles = {"present": "green", "partial": "yellow", "missing": "red"}
    for tier_name in names:
        try:
            engine, tier, refs = weights.weights_for(tier_name)
        except (InputError, EngineUnavailable) as exc:
            _fail(exc)
        for ref in refs:
            status = weights.weights_status(ref, models_dir)
            where = str(status.where) if status.where else "—"
            if status.detail:
                where += f" ({status.detail})"
            table.add_row(
                tier or "—", weights.engine_of(ref) or engine, ref.repo_id, ref.role, ref.revision,
                f"[{styles[status.state]}]{status.state}[/]", where,
            )
    out = Console()
    out.width = max(out.width, TABLE_WIDTH)
    out.print(table)


@app.command()
def tiers() -> None:
    """The lineup: tiers, their engines, limits and prices."""
    from .engines.registry import is_available
    from .lineup import TIERS

    table = Table(title="reelforge lineup (credits per second: silent / with audio)")
    for col in ("tier", "Kling", "engine", "workflows", "max", "output", "audio", "720p", "1080p", "4K", "here"):
        table.add_column(col, no_wrap=col in ("tier", "max", "720p", "1080p", "4K"))
    for t in TIERS.values():
        prices = [
            "/".join(f"{p:g}" for p in t.prices[r]) if r in t.prices else "—" for r in limits.RESOLUTIONS
        ]
        table.add_row(
            t.name, t.kling, t.traits.label, ", ".join(t.workflows),
            f"{t.max_duration:g} s" if t.max_duration else "any",
            f"{t.resolutions[-1]} {t.fps} fps", t.audio, *prices,
            "yes" if is_available(t.engine) else "previz only",
        )
    out = Console()
    out.width = max(out.width, TABLE_WIDTH)
    out.print(table)


@app.command()
def estimate(
    prompt: Annotated[str, typer.Argument(help="The prompt (shot scripts count their shots).")] = "",
    workflow: Annotated[str, typer.Option("--workflow", "-w", help="text2video, image2video, omni, motion or avatar.")] = "text2video",
    duration: Duration = None,
    resolution: Resolution = limits.DEFAULT_RESOLUTION,
    tier: Tier = None,
    audio: AudioFlag = True,
    draft: Annotated[bool, typer.Option("--draft")] = False,
) -> None:
    """Credits and expected time for a request, and the tier the guide would pick."""
    from .lineup import estimate as estimate_cost
    from .lineup import resolve_tier, select
    from .spec.requests import TextToVideo

    try:
        data: dict[str, Any] = {"prompt": prompt, "duration": duration, "resolution": resolution, "audio": audio, "draft": draft, "tier": tier}
        _shot_script(data)
        data.pop("workflow", None)
        if workflow in ("text2video", "image2video"):
            request = TextToVideo(**data)
            length = request.duration or limits.DEFAULT_DURATION_S
            choice = select(request, length)
            chosen, reasons = choice.tier, choice.reasons
        else:
            length = duration or limits.DEFAULT_DURATION_S
            request = TextToVideo(**{**data, "tier": None, "duration": length})
            chosen = resolve_tier(tier or {"omni": "omni", "motion": "motion", "avatar": "avatar"}.get(workflow, workflow), workflow)
            reasons = (f"{workflow} runs on the {chosen.name} tier",)
        cost = estimate_cost(request, chosen, length)
    except ReelforgeError as exc:
        _fail(exc)
    console.print(f"[bold]{chosen.name}[/]: {cost.describe()}")
    for reason in reasons:
        console.print(f"  · {reason}")


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
) -> None:
    """Run the Kling-compatible task API (data in $REELFORGE_HOME)."""
    import socket

    config = _service_config().replace(
        previz=True if previz else None, workers=workers, no_auth=no_auth or None
    )
    if config.no_auth and not _is_loopback(host):
        _fail(
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
        _fail(ReelforgeError(f"cannot listen on {host}:{port}: {exc}"))
    sock.listen(2048)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host

    import uvicorn

    from .api.app import create_app
    from .store import Store

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
    from .store import accounts as acc

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
    from .store import accounts as acc

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
    from .store import accounts as acc

    store = _service_store()
    with store.db.write() as s:
        done = acc.revoke_key(s, access_key)
    if not done:
        _fail(ReelforgeError(f"no active key {access_key!r}"))
    console.print(f"revoked {access_key}")


@credits_app.command("grant")
def credits_grant(
    amount: Annotated[int, typer.Argument(help="Credits to add (positive).")],
    account: AccountName = "default",
) -> None:
    """Add credits to an account; prints the new balance."""
    if amount <= 0:
        _fail(InputError("AMOUNT", amount, "> 0", f"{amount} is not a positive number of credits"))
    balance = _service_store().grant(account, amount, note="cli grant")
    typer.echo(str(balance))


@credits_app.command("balance")
def credits_balance(account: AccountName = "default") -> None:
    """An account's balance (credits held by running tasks are already taken off)."""
    from .store import accounts as acc
    from .store import ledger

    store = _service_store()
    with store.db.read() as s:
        owner = acc.find_account(s, account)
        total = ledger.balance(s, owner.id) if owner else 0
    typer.echo(str(total))


def _service_config() -> Any:
    from .store.config import ConfigError, load_config

    try:
        return load_config()
    except ConfigError as exc:
        _fail(exc)


def _service_store() -> Any:
    from .store import Store

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


def _shot_script(data: dict[str, Any]) -> None:
    """Turn a prompt written as ``Shot 1 (3s): ...`` lines into a custom multi-shot request."""
    from .prompting.script import is_shot_script, parse_shot_script

    if not is_shot_script(data["prompt"]):
        return
    try:
        preamble, shots = parse_shot_script(data["prompt"], data.get("duration"))
    except InputError as exc:
        _fail(exc)
    data.update(
        prompt=preamble, multi_shot=True, shot_type="customize",
        shots=[s.model_dump() for s in shots],
        duration=data.get("duration") or sum(s.duration for s in shots),
    )


def _engine_options(model_path: Path | None, preset: str | None, low_vram: bool | None, device: str | None) -> dict[str, Any]:
    """``render``'s engine keywords from the CLI flags (speed options only when given)."""
    if preset is not None and preset.lower() not in PRESETS:
        _fail(InputError("preset", preset, " | ".join(PRESETS), f"unknown preset {preset!r}: choose {', '.join(PRESETS)}"))
    options: dict[str, Any] = {"model_path": model_path, "device": device}
    if preset is not None or low_vram is not None:
        from .engines.base import SpeedOptions

        options["speed"] = SpeedOptions(preset=preset.lower() if preset else None, low_vram=low_vram)
    return options


def _render(
    data: dict[str, Any], output: Path, previz: bool, size: str | None, steps: int | None,
    engine_options: dict[str, Any] | None = None,
) -> None:
    from .jobs.progress import ProgressEvent
    from .jobs.runner import render

    dims = _parse_size(size) if size else None
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("checking", total=1.0)

            def on_progress(event: ProgressEvent) -> None:
                if event.stage in ("check", "plan"):
                    bar.console.print(f"[yellow]{event.message}[/]" if event.message.startswith("warning") else event.message)
                    return
                label = event.message if event.stage != "render" else f"{event.message} · step {event.step}/{event.steps}"
                bar.update(task, completed=event.fraction, description=label)

            artifact = render(data, output=output, progress=on_progress, previz=previz, size=dims, steps=steps, **(engine_options or {}))
    except KeyboardInterrupt:
        console.print("[red]cancelled[/]: nothing was written")
        raise typer.Exit(130) from None
    except (ReelforgeError, Cancelled) as exc:
        _fail(exc)
    kind = " (animatic previz)" if artifact.previz else ""
    console.print(
        f"[green]done[/]{kind}: {artifact.video}  {artifact.duration:.2f} s, "
        f"{artifact.width}×{artifact.height} @ {artifact.fps} fps, tier {artifact.tier}, "
        f"{'with' if artifact.has_audio else 'no'} audio"
    )
    console.print(f"  poster {artifact.poster}\n  sidecar {artifact.sidecar}")
    typer.echo(str(artifact.video))


def _parse_size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) % 2 or int(h) % 2 or not int(w) or not int(h):
        _fail(InputError("size", text, "WxH, even numbers", f"{text!r} is not WxH with even numbers (e.g. 64x64)"))
    return int(w), int(h)


def _fail(exc: Exception) -> None:
    if isinstance(exc, InputError):
        console.print(f"[red]error[/]: {exc}")
        raise typer.Exit(2)
    if isinstance(exc, EngineUnavailable):
        console.print(f"[red]engine not available[/]: {exc}")
        raise typer.Exit(3)
    console.print(f"[red]error[/]: {exc}")
    raise typer.Exit(1)


if __name__ == "__main__":
    app()
