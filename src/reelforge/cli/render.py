"""Render commands: video, omni, motion, avatar; the lineup and cost estimates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import Cancelled, EngineUnavailable, InputError, ReelforgeError
from ..request import limits
from .app import TABLE_WIDTH, app, console, fail

# --- options shared by the render commands ---------------------------------------
Tier = Annotated[
    str | None,
    typer.Option(
        "--tier", "-t", help="Tier or Kling model name; default: the selection guide's choice."
    ),
]
Duration = Annotated[
    float | None,
    typer.Option("--duration", "-d", help="Seconds (3–15; default 5, or the sum of the shots)."),
]
Aspect = Annotated[
    str | None,
    typer.Option("--aspect", help="16:9, 9:16 or 1:1 (default: the image's, else 16:9)."),
]
Resolution = Annotated[
    str | None,
    typer.Option(
        "--resolution",
        "-r",
        help="720p, 1080p or 4k (default: the tier's own; turbo: 720p).",
        show_default=False,
    ),
]
Seed = Annotated[int | None, typer.Option("--seed", help="Reuse a seed to reproduce a render.")]
Model = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="The tier's model where it offers more than one (cinema: ltx25, the default, or ltx2; see `reelforge tiers`).",
    ),
]
AudioFlag = Annotated[
    bool, typer.Option("--audio/--no-audio", help="Generate sound (dialogue, ambience).")
]
Output = Annotated[Path, typer.Option("--output", "-o", help="Folder or .mp4 path.")]
Previz = Annotated[
    bool, typer.Option("--previz", help="Render the chosen tier's plan with the animatic engine.")
]
Size = Annotated[
    str | None, typer.Option("--size", help="WxH override for quick checks, e.g. 64x64.")
]
Steps = Annotated[
    int | None, typer.Option("--steps", help="Denoising steps override (diffusion engines).")
]
Prompt = Annotated[str, typer.Option("--prompt", "-p", help="What should happen.")]
ModelPath = Annotated[
    Path | None,
    typer.Option(
        "--model-path",
        help="A diffusers folder of the tier's engine (as save_pretrained writes it) instead of the pulled weights.",
    ),
]
Preset = Annotated[
    str | None,
    typer.Option(
        "--preset",
        help="Speed preset: quality (exact), balanced or fast; default: chosen from the GPU's memory.",
    ),
]
LowVram = Annotated[
    bool | None,
    typer.Option(
        "--low-vram/--no-low-vram",
        help="Offload weights to the host (the fastest offloading placement that fits); --no-low-vram keeps every weight on the GPU or refuses. Default: the memory plan picks (see `reelforge doctor`).",
    ),
]
Device = Annotated[
    str | None,
    typer.Option("--device", help="cuda, cuda:1, cpu... (default: the first GPU, else the CPU)."),
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Check the inputs and print the plan and every engine call's stages (size, frames, steps, guidance, sigmas) without rendering: no weights, no GPU, no files written.",
    ),
]
AsJson = Annotated[
    bool,
    typer.Option(
        "--json",
        help="With --dry-run: the plan as JSON on stdout (the sidecar's request, tier, estimate, plan and seeds, and per segment its engine call's stages).",
    ),
]
PRESETS = ("quality", "balanced", "fast")


@app.command()
def video(
    prompt: Annotated[
        str | None,
        typer.Argument(
            help="The prompt; lines like 'Shot 1 (3s): ...' make a multi-shot storyboard. Not with --final.",
            show_default=False,
        ),
    ] = None,
    final: Annotated[
        Path | None,
        typer.Option(
            "--final",
            help="Re-render a draft (its .json sidecar, or its .mp4) at 4k with the draft's seed, tier and plan.",
        ),
    ] = None,
    image: Annotated[
        Path | None, typer.Option("--image", "-i", help="Start frame (image-to-video).")
    ] = None,
    end_image: Annotated[Path | None, typer.Option("--end-image", help="End frame.")] = None,
    duration: Duration = None,
    aspect: Aspect = None,
    resolution: Annotated[
        str | None,
        typer.Option(
            "--resolution",
            "-r",
            help="720p, 1080p or 4k (default: the tier's own, turbo: 720p; with --final, 4k).",
            show_default=False,
        ),
    ] = None,
    tier: Tier = None,
    model: Model = None,
    seed: Seed = None,
    audio: AudioFlag = True,
    draft: Annotated[
        bool, typer.Option("--draft", help="Fast draft (picks turbo/budget).")
    ] = False,
    negative: Annotated[str, typer.Option("--negative", help="What to avoid.")] = "",
    intelligence: Annotated[
        bool, typer.Option("--auto-shots", help="Let the planner split the prompt into shots.")
    ] = False,
    output: Output = Path("out"),
    previz: Previz = False,
    size: Size = None,
    steps: Steps = None,
    model_path: ModelPath = None,
    preset: Preset = None,
    low_vram: LowVram = None,
    device: Device = None,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Text-to-video, or image-to-video with --image (and --end-image); --final DRAFT
    re-renders a finished draft at 4k with its seed and plan."""
    engine = _engine_options(model_path, preset, low_vram, device)
    if final is not None:
        given = {
            "PROMPT": prompt is not None,
            "--image": image,
            "--end-image": end_image,
            "--duration": duration,
            "--aspect": aspect,
            "--tier": tier,
            "--model": model,
            "--seed": seed,
            "--no-audio": not audio,
            "--draft": draft,
            "--negative": negative,
            "--auto-shots": intelligence,
        }
        _final(
            final,
            [k for k, v in given.items() if v],
            resolution,
            output,
            previz,
            size,
            steps,
            engine,
            dry=(dry_run, as_json),
        )
        return
    if prompt is None:
        fail(
            InputError(
                "prompt",
                None,
                "required",
                "give a prompt, or --final DRAFT to re-render a draft at 4k",
            )
        )
    data: dict[str, Any] = {
        "workflow": "image2video" if image else "text2video",
        "prompt": prompt,
        "negative_prompt": negative,
        "duration": duration,
        "aspect_ratio": aspect,
        "resolution": resolution,
        "tier": tier,
        "model": model,
        "seed": seed,
        "audio": audio,
        "draft": draft,
    }
    if image:
        data.update(image=image, end_image=end_image)
    elif end_image:
        fail(
            InputError(
                "end_image", str(end_image), "image", "an end frame needs a start frame (--image)"
            )
        )
    if intelligence:
        data.update(multi_shot=True, shot_type="intelligence")
    _render(data, output, previz, size, steps, engine, dry=(dry_run, as_json))


def _final(
    path: Path,
    conflicts: list[str],
    resolution: str | None,
    output: Path,
    previz: bool,
    size: str | None,
    steps: int | None,
    engine: dict[str, Any],
    *,
    dry: tuple[bool, bool] = (False, False),
) -> None:
    """``video --final DRAFT``: the draft's request at 4k (or ``resolution``) with its seed
    and tier; rendered on the tier's engine unless ``--previz`` is given again."""
    from ..lineup import TIERS
    from ..render.final import FINAL_RESOLUTION, final_note, final_request, read_draft

    if conflicts:
        fail(
            InputError(
                "final",
                ", ".join(conflicts),
                "the draft's own settings",
                f"--final re-renders the draft's own request; leave out {', '.join(conflicts)}",
            )
        )
    try:
        draft = read_draft(path)
        target = resolution or FINAL_RESOLUTION
        data = final_request(
            draft.request, draft.seed, tier=draft.tier, resolution=target, field="final"
        )
    except ReelforgeError as exc:
        fail(exc)
    tier = TIERS[data["tier"]]
    size_now = f"{draft.width}×{draft.height}" if draft.width and draft.height else draft.resolution
    console.print(
        f"final of {draft.sidecar.name}: {data['workflow']} on {tier.name}, seed {draft.seed}, "
        f"{draft.resolution} ({size_now}{', animatic previz' if draft.previz else ''}) → {target} "
        f"on {'the animatic (--previz)' if previz else tier.traits.label}"
    )
    hint = (
        ""
        if previz
        else "For a final (its tier is the draft's), add --previz to render its plan with the animatic engine."
    )
    _render(
        data,
        output,
        previz,
        size,
        steps,
        {**engine, "sidecar_extra": final_note(draft)},
        hint=hint,
        dry=dry,
    )


@app.command()
def omni(
    prompt: Annotated[
        str, typer.Argument(help="Refer to references as <<<image_1>>>, <<<element_1>>> or @Name.")
    ],
    image: Annotated[
        list[Path],
        typer.Option("--image", "-i", help="Reference image (repeatable): <<<image_N>>>."),
    ] = [],  # noqa: B006
    element: Annotated[
        list[str], typer.Option("--element", "-e", help="NAME=IMAGE (repeatable): @NAME.")
    ] = [],  # noqa: B006
    ref_video: Annotated[
        Path | None, typer.Option("--video", help="Reference video: <<<video_1>>>.")
    ] = None,
    keep_sound: Annotated[
        bool, typer.Option("--keep-sound", help="Keep the reference video's sound.")
    ] = False,
    duration: Duration = None,
    aspect: Aspect = None,
    resolution: Resolution = None,
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
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Reference-anchored generation: keep people, props and places from images or a video."""
    elements = []
    for spec in element:
        name, sep, path = spec.partition("=")
        if not sep or not name.strip() or not path.strip():
            fail(InputError("element", spec, "NAME=IMAGE", f"{spec!r} is not NAME=IMAGE"))
        elements.append({"name": name.strip(), "images": [path.strip()]})
    data = {
        "workflow": "omni",
        "prompt": prompt,
        "duration": duration,
        "aspect_ratio": aspect,
        "resolution": resolution,
        "tier": tier,
        "seed": seed,
        "audio": audio,
        "images": [{"path": p} for p in image],
        "elements": elements,
        "video": {"path": ref_video, "keep_original_sound": keep_sound} if ref_video else None,
    }
    _render(
        data,
        output,
        previz,
        size,
        steps,
        _engine_options(model_path, preset, low_vram, device),
        dry=(dry_run, as_json),
    )


@app.command()
def motion(
    image: Annotated[Path, typer.Argument(help="The character.")],
    video: Annotated[Path, typer.Argument(help="The action to transfer.")],
    orientation: Annotated[
        str,
        typer.Option(
            "--orientation",
            help="image: keep the image's facing (≤ 10 s); video: follow the video's (≤ 30 s).",
        ),
    ] = "image",
    keep_sound: Annotated[
        bool, typer.Option("--keep-sound/--no-keep-sound", help="Keep the reference video's sound.")
    ] = True,
    prompt: Prompt = "",
    resolution: Resolution = None,
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
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Motion control: the character performs the reference video's action."""
    data = {
        "workflow": "motion",
        "image": image,
        "video": video,
        "character_orientation": orientation,
        "keep_original_sound": keep_sound,
        "prompt": prompt,
        "resolution": resolution,
        "tier": tier,
        "seed": seed,
    }
    _render(
        data,
        output,
        previz,
        size,
        steps,
        _engine_options(model_path, preset, low_vram, device),
        dry=(dry_run, as_json),
    )


@app.command()
def avatar(
    image: Annotated[Path, typer.Argument(help="The face.")],
    audio_file: Annotated[Path, typer.Argument(help="The speech or song (≤ 5 min).")],
    prompt: Prompt = "",
    resolution: Resolution = None,
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
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Talking avatar: one image and one audio, lip-synced, 48 fps."""
    data = {
        "workflow": "avatar",
        "image": image,
        "audio_file": audio_file,
        "prompt": prompt,
        "resolution": resolution,
        "tier": tier,
        "seed": seed,
    }
    _render(
        data,
        output,
        previz,
        size,
        steps,
        _engine_options(model_path, preset, low_vram, device),
        dry=(dry_run, as_json),
    )


@app.command()
def tiers() -> None:
    """The lineup: tiers, their engines, limits and prices, whether each can render here,
    and what a tier renders only experimentally (and why)."""
    from ..engines.registry import cannot_render
    from ..lineup import TIERS

    table = Table(title="reelforge lineup (credits per second: silent / with audio)")
    for col in (
        "tier",
        "Kling",
        "engine",
        "workflows",
        "max",
        "output",
        "audio",
        "720p",
        "1080p",
        "4K",
        "here",
    ):
        table.add_column(col, no_wrap=col in ("tier", "max", "720p", "1080p", "4K"))
    missing: list[str] = []
    for t in TIERS.values():
        prices = [
            "/".join(f"{p:g}" for p in t.prices[r]) if r in t.prices else "—"
            for r in limits.RESOLUTIONS
        ]
        why = cannot_render(t)
        if why is not None:
            missing.append(f"{t.name}: {why}; or render a previz (--previz)")
        table.add_row(
            t.name,
            t.kling,
            t.traits.label,
            ", ".join(t.workflows),
            f"{t.max_duration:g} s" if t.max_duration else "any",
            f"{t.resolutions[-1]} {t.fps} fps",
            t.audio,
            *prices,
            "yes" if why is None else "previz only",
        )
    out = Console()
    out.width = max(out.width, TABLE_WIDTH)
    out.print(table)
    for line in missing:
        out.print(f"  · {line}", highlight=False)
    for t in TIERS.values():
        for feature in t.experimental:
            out.print(f"  · {t.experimental_note(feature)}", highlight=False)


@app.command()
def estimate(
    prompt: Annotated[
        str, typer.Argument(help="The prompt (shot scripts count their shots).")
    ] = "",
    workflow: Annotated[
        str,
        typer.Option("--workflow", "-w", help="text2video, image2video, omni, motion or avatar."),
    ] = "text2video",
    duration: Duration = None,
    resolution: Resolution = None,
    tier: Tier = None,
    model: Model = None,
    audio: AudioFlag = True,
    draft: Annotated[bool, typer.Option("--draft")] = False,
) -> None:
    """Credits and expected time for a request, and the tier the guide would pick."""
    from ..lineup import estimate as estimate_cost
    from ..lineup import resolve_tier, select, with_default_resolution
    from ..prompting.script import with_script_shots
    from ..request.models import TextToVideo

    try:
        data: dict[str, Any] = {
            "prompt": prompt,
            "duration": duration,
            "resolution": resolution,
            "audio": audio,
            "draft": draft,
            "tier": tier,
            "model": model,
        }
        if workflow in ("text2video", "image2video"):
            request = with_script_shots(
                TextToVideo(**with_default_resolution({**data, "workflow": "text2video"}))
            )
            length = request.duration or limits.DEFAULT_DURATION_S
            choice = select(request, length)
            chosen, reasons = choice.tier, choice.reasons
        else:
            chosen = resolve_tier(
                tier
                or {"omni": "omni", "motion": "motion", "avatar": "avatar"}.get(workflow, workflow),
                workflow,
            )
            request = with_script_shots(
                TextToVideo(
                    **{**data, "tier": None, "resolution": resolution or chosen.default_resolution}
                )
            )
            length = request.duration or limits.DEFAULT_DURATION_S
            reasons = (f"{workflow} runs on the {chosen.name} tier",)
        cost = estimate_cost(request, chosen, length)
    except ReelforgeError as exc:
        fail(exc)
    console.print(f"[bold]{chosen.name}[/]: {cost.describe()}")
    for reason in reasons:
        console.print(f"  · {reason}")


def _engine_options(
    model_path: Path | None, preset: str | None, low_vram: bool | None, device: str | None
) -> dict[str, Any]:
    """``render``'s engine keywords from the CLI flags (speed options only when given)."""
    if preset is not None and preset.lower() not in PRESETS:
        fail(
            InputError(
                "preset",
                preset,
                " | ".join(PRESETS),
                f"unknown preset {preset!r}: choose {', '.join(PRESETS)}",
            )
        )
    options: dict[str, Any] = {"model_path": model_path, "device": device}
    if preset is not None or low_vram is not None:
        from ..engines.base import SpeedOptions

        options["speed"] = SpeedOptions(
            preset=preset.lower() if preset else None, low_vram=low_vram
        )
    return options


def _render(
    data: dict[str, Any],
    output: Path,
    previz: bool,
    size: str | None,
    steps: int | None,
    engine_options: dict[str, Any] | None = None,
    *,
    hint: str = "",
    dry: tuple[bool, bool] = (False, False),
) -> None:
    """Render ``data`` with a progress bar; ``engine_options`` go to ``render``; ``hint`` is
    added to an engine-unavailable message. ``dry``: (``--dry-run``, ``--json``): print
    what the render would do instead (:func:`_dry_run`)."""
    dims = _parse_size(size) if size else None
    dry_run, as_json = dry
    if as_json and not dry_run:
        fail(
            InputError(
                "json", "--json", "--dry-run", "--json prints a dry run's plan: add --dry-run"
            )
        )
    if dry_run:
        _dry_run(data, previz, dims, steps, as_json)
        return

    from ..render.progress import ProgressEvent
    from ..render.runner import render

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("checking", total=1.0)

            def on_progress(event: ProgressEvent) -> None:
                if event.stage in ("check", "plan"):
                    bar.console.print(
                        f"[yellow]{event.message}[/]"
                        if event.message.startswith("warning")
                        else event.message
                    )
                    return
                label = (
                    event.message
                    if event.stage != "render"
                    else f"{event.message} · step {event.step}/{event.steps}"
                )
                bar.update(task, completed=event.fraction, description=label)

            artifact = render(
                data,
                output=output,
                progress=on_progress,
                previz=previz,
                size=dims,
                steps=steps,
                **(engine_options or {}),
            )
    except KeyboardInterrupt:
        console.print("[red]cancelled[/]: nothing was written")
        raise typer.Exit(130) from None
    except EngineUnavailable as exc:
        fail(EngineUnavailable(f"{str(exc).rstrip('.')}. {hint}") if hint else exc)
    except (ReelforgeError, Cancelled) as exc:
        fail(exc)
    kind = " (animatic previz)" if artifact.previz else ""
    console.print(
        f"[green]done[/]{kind}: {artifact.video}  {artifact.duration:.2f} s, "
        f"{artifact.width}×{artifact.height} @ {artifact.fps} fps, tier {artifact.tier}, "
        f"{'with' if artifact.has_audio else 'no'} audio"
    )
    console.print(f"  poster {artifact.poster}\n  sidecar {artifact.sidecar}")
    typer.echo(str(artifact.video))


def _dry_run(
    data: dict[str, Any],
    previz: bool,
    size: tuple[int, int] | None,
    steps: int | None,
    as_json: bool,
) -> None:
    """``--dry-run``: the inputs checked as for a render, then the plan and every engine
    call's stages on stdout (JSON with ``--json``, else tables); nothing is written."""
    from ..render.dry_run import dry_run

    try:
        result = dry_run(data, previz=previz, size=size, steps=steps)
    except ReelforgeError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    _print_dry_run(result)


def _print_dry_run(result: dict[str, Any]) -> None:
    """A dry run for a person: what is rendered and why, then one row per engine stage."""
    from ..lineup import TIERS
    from ..lineup.estimate import Estimate

    plan, tier = result["plan"], result["tier"]
    out = Console()
    out.width = max(out.width, TABLE_WIDTH)
    engine = "the animatic (previz)" if result["previz"] else TIERS[tier["name"]].traits.label
    out.print(
        f"[bold]dry run[/]: {plan['workflow']} on {tier['name']} ({engine}), {plan['width']}×{plan['height']} "
        f"@ {plan['fps']} fps, {plan['duration']:g} s ({plan['total_frames']} frames), "
        f"seed {plan['seed']}{'' if result['request'].get('seed') is not None else ' (new: --seed renders this plan)'}, "
        f"sound: {plan['audio_source']}",
        highlight=False,
    )
    out.print(f"  · {Estimate(**result['estimate']).describe()}", highlight=False)
    for line in (*tier["reasons"], *plan["notes"]):
        out.print(f"  · {line}", highlight=False)
    for warning in result["warnings"]:
        out.print(f"  [yellow]warning[/]: {warning}", highlight=False)
    table = Table(title=f"{len(plan['segments'])} call(s) of engine {plan['engine']}: their stages")
    for col in (
        "segment",
        "shot",
        "frames",
        "stage",
        "size",
        "weights",
        "start",
        "steps",
        "guidance",
        "sigmas",
    ):
        table.add_column(col, no_wrap=col not in ("weights", "guidance"))
    for seg, call in zip(plan["segments"], result["calls"], strict=True):
        first = (str(seg["index"] + 1), f"{seg['shot_index']}/{seg['shots']}", str(seg["frames"]))
        if not call["stages"]:
            table.add_row(
                *first, "—", f"{seg['width']}×{seg['height']}", "no diffusion", "", "", "", ""
            )
        for n, stage in enumerate(call["stages"]):
            table.add_row(
                *(first if n == 0 else ("", "", "")),
                str(stage["stage"]),
                f"{stage['width']}×{stage['height']}",
                stage["weights"],
                stage["start"]
                if stage["start"] == "noise"
                else f"{stage['start']}, {stage['noise_scale']:g}",
                str(stage["steps"]),
                _guidance_text(stage["guidance"]),
                _sigmas_text(stage["sigmas"]),
            )
    out.print(table)
    out.print("nothing rendered (--json for the whole plan and every sigma)", highlight=False)


SIGMAS_SHOWN = 2
"""A table shows this many sigmas from each end of a stage's list."""


def _sigmas_text(sigmas: list[float]) -> str:
    shown = [f"{s:.4g}" for s in sigmas]
    if len(shown) > 2 * SIGMAS_SHOWN:
        shown = [*shown[:SIGMAS_SHOWN], "…", *shown[-SIGMAS_SHOWN:]]
    return " ".join(shown)


def _guidance_text(guidance: dict[str, Any]) -> str:
    """A stage's guidance in a few words: Wan's one scale, or LTX-2's terms that are on
    (video/audio), judged by LTX-2's own :class:`~reelforge.engines.ltx2.presets.Guidance`."""
    if "guidance_scale" in guidance:
        scale = guidance["guidance_scale"]
        return f"CFG {scale:g}" if scale > 1 else "none"
    from ..engines.ltx2.presets import Guidance

    g = Guidance(**{**guidance, "stg_blocks": tuple(guidance["stg_blocks"])})
    terms = []
    if g.cfg:
        terms.append(
            f"CFG {g.video_cfg:g}/{g.audio_cfg:g} rescale {g.video_rescale:g}/{g.audio_rescale:g}"
        )
    if g.stg:
        terms.append(
            f"STG {g.video_stg:g}/{g.audio_stg:g} block {','.join(map(str, g.stg_blocks))}"
        )
    if g.modality:
        terms.append(f"modality {g.video_modality:g}/{g.audio_modality:g}")
    return ", ".join(terms) or "none"


def _parse_size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if (
        not sep
        or not w.isdigit()
        or not h.isdigit()
        or int(w) % 2
        or int(h) % 2
        or not int(w)
        or not int(h)
    ):
        fail(
            InputError(
                "size",
                text,
                "WxH, even numbers",
                f"{text!r} is not WxH with even numbers (e.g. 64x64)",
            )
        )
    return int(w), int(h)
