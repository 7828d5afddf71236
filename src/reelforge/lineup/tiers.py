"""The lineup: what a user picks (a tier), as data.

Each :class:`Tier` names its default engine, the workflows it serves, its limits and
its price. Engines are described here only by their :class:`EngineTraits` (frame
granularity, size multiple, window length): what the planner must know about them
without importing them. Adding or re-pricing a tier is an edit of this table (a new GPU
tier or resolution also needs its FLOPs counted: ``python bench/flops.py --write``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..errors import InputError
from ..request import limits
from . import compute
from .compute import Speed


@dataclass(frozen=True)
class WeightsRef:
    """A Hub repository an engine loads (``from_pretrained``) and the files it needs.

    ``role``: ``pipeline`` (the diffusers folder ``from_pretrained`` loads: the first
    entry of an engine), or what an extra download is for (``latent_upsampler``,
    ``preprocessor``...). ``allow_patterns`` keep everything else in the repository
    (original-format checkpoints, fp8 variants, example media) from coming down; every
    pattern must match at least one file for a download to count as complete.
    ``revision``: a branch, tag or commit; ``reelforge pull --revision`` overrides it.
    """

    repo_id: str
    revision: str = "main"
    allow_patterns: tuple[str, ...] = ()
    role: str = "pipeline"
    subfolder: str | None = None
    """Where the files this entry is for lie inside the repository (``latent_upsampler``)."""
    replaced: tuple[str, ...] = ()
    """Components of this pipeline folder that another entry supplies (the budget tier's
    transformer is the distilled checkpoint): only their ``config.json`` is fetched."""
    skipped: tuple[str, ...] = ()
    """Optional components reelforge never uses (LTX-2.5's duration head: a render always
    names its frame count): not fetched, loaded as absent."""


def _diffusers_folders(*components: str) -> tuple[str, ...]:
    """``allow_patterns`` for a diffusers pipeline folder with these component folders."""
    return ("model_index.json", *(f"{name}/*" for name in components))


_WAN_COMPONENTS = ("scheduler", "text_encoder", "tokenizer", "transformer", "vae")
_LTX2_REPO = "Lightricks/LTX-2"
_LTX25_REPO = "Lightricks/LTX-2.5-Diffusers"
_LTX2_COMPONENTS = (
    "scheduler",
    "text_encoder",
    "tokenizer",
    "connectors",
    "vae",
    "audio_vae",
    "vocoder",
)
_LTX2_UPSAMPLER = WeightsRef(
    _LTX2_REPO,
    allow_patterns=("latent_upsampler/*",),
    role="latent_upsampler",
    subfolder="latent_upsampler",
)


@dataclass(frozen=True)
class EngineTraits:
    """What the planner must know about an engine.

    ``frame_step``: the engine renders ``frame_step * k + 1`` frames (LTX 8, Wan 4; 1: any).
    ``size_multiple``: width and height must be multiples of this (``size_multiple_4k``
    at 4K, where LTX-2 adds a second ×2 stage).
    ``max_segment_frames``: the most frames one call renders; longer shots are chunked.
    ``overlap_frames``: frames a chunk re-renders from the previous one, blended.
    ``anchors``: whether it can be conditioned on a picture that is not a frame of the
    segment (an identity anchor: shot 1's key frame for later shots, an avatar's face).
    """

    name: str
    label: str
    frame_step: int
    size_multiple: int
    max_segment_frames: int
    overlap_frames: int
    needs_weights: bool = True
    anchors: bool = True
    weights: tuple[WeightsRef, ...] = ()
    size_multiple_4k: int | None = None

    def multiple_for(self, resolution: str) -> int:
        """The size multiple of a render at ``resolution``."""
        return (
            (self.size_multiple_4k or self.size_multiple)
            if resolution == "4k"
            else self.size_multiple
        )


ENGINES: Mapping[str, EngineTraits] = MappingProxyType(
    {
        # Two-stage LTX-2 (docs/research/ltx2-reference.md): outputs are multiples of 64 so
        # that stage 1 is exactly half (ltx-pipelines utils/helpers.py:540-551); a 4K final
        # has two ×2 stages, so 128.
        "ltx2": EngineTraits(
            "ltx2",
            "LTX-2 (video + audio)",
            frame_step=8,
            size_multiple=64,
            size_multiple_4k=128,
            max_segment_frames=481,
            overlap_frames=16,
            weights=(
                WeightsRef(
                    _LTX2_REPO, allow_patterns=_diffusers_folders(*_LTX2_COMPONENTS, "transformer")
                ),
                _LTX2_UPSAMPLER,
                WeightsRef(
                    _LTX2_REPO,
                    allow_patterns=("ltx-2-19b-distilled-lora-384.safetensors",),
                    role="distilled_lora",
                ),
            ),
        ),
        # The reference's distilled.py: the distilled checkpoint (one file, Lightricks'
        # format) in place of the dev transformer; everything else is the same folder.
        "ltx2_distilled": EngineTraits(
            "ltx2_distilled",
            "LTX-2 distilled (video + audio)",
            frame_step=8,
            size_multiple=64,
            size_multiple_4k=128,
            max_segment_frames=481,
            overlap_frames=16,
            weights=(
                WeightsRef(
                    _LTX2_REPO,
                    allow_patterns=(
                        *_diffusers_folders(*_LTX2_COMPONENTS),
                        "transformer/config.json",
                    ),
                    replaced=("transformer",),
                ),
                _LTX2_UPSAMPLER,
                WeightsRef(
                    _LTX2_REPO,
                    allow_patterns=("ltx-2-19b-distilled.safetensors",),
                    role="distilled_checkpoint",
                ),
            ),
        ),
        # LTX-2.5 22B (Lightricks/LTX-2.5-Diffusers, gated: accept its terms on the Hub):
        # model_index.json's transformer/ is the distilled model; the dev model the
        # two-stage path starts from is transformer_full/ (docs/research/ltx25.md).
        "ltx25": EngineTraits(
            "ltx25",
            "LTX-2.5 (video + audio)",
            frame_step=8,
            size_multiple=64,
            size_multiple_4k=128,
            max_segment_frames=481,
            overlap_frames=16,
            weights=(
                WeightsRef(
                    _LTX25_REPO,
                    allow_patterns=(
                        *_diffusers_folders(*_LTX2_COMPONENTS),
                        "transformer/config.json",
                        "transformer_full/*",
                    ),
                    replaced=("transformer",),
                    skipped=("duration_head",),
                ),
                WeightsRef(
                    _LTX25_REPO,
                    allow_patterns=("latent_upsampler/*",),
                    role="latent_upsampler",
                    subfolder="latent_upsampler",
                ),
                WeightsRef(
                    _LTX25_REPO,
                    allow_patterns=("ltx-2.5-22b-distilled-lora-450-bf16.safetensors",),
                    role="distilled_lora",
                ),
            ),
        ),
        "wan": EngineTraits(
            "wan",
            "Wan 2.2 TI2V-5B",
            frame_step=4,
            size_multiple=32,
            max_segment_frames=121,
            overlap_frames=8,
            anchors=False,
            weights=(
                WeightsRef(
                    "Wan-AI/Wan2.2-TI2V-5B-Diffusers",
                    allow_patterns=_diffusers_folders(*_WAN_COMPONENTS),
                ),
            ),
        ),
        "wan_vace": EngineTraits(
            "wan_vace",
            "Wan 2.1 VACE",
            frame_step=4,
            size_multiple=16,
            max_segment_frames=81,
            overlap_frames=8,
            weights=(
                WeightsRef(
                    "Wan-AI/Wan2.1-VACE-14B-diffusers",
                    allow_patterns=_diffusers_folders(*_WAN_COMPONENTS),
                ),
            ),
        ),
        "wan_animate": EngineTraits(
            "wan_animate",
            "Wan 2.2 Animate",
            frame_step=4,
            size_multiple=16,
            max_segment_frames=77,
            overlap_frames=5,
            weights=(
                WeightsRef(
                    "Wan-AI/Wan2.2-Animate-14B-Diffusers",
                    allow_patterns=_diffusers_folders(
                        *_WAN_COMPONENTS, "image_encoder", "image_processor"
                    ),
                ),
                # Pose (ViTPose whole-body) and person detection (YOLOv10) ONNX models that
                # turn a reference video into the pose and face inputs.
                WeightsRef(
                    "Wan-AI/Wan2.2-Animate-14B",
                    allow_patterns=("process_checkpoint/det/*", "process_checkpoint/pose2d/*"),
                    role="preprocessor",
                    subfolder="process_checkpoint",
                ),
            ),
        ),
        "animatic": EngineTraits(
            "animatic",
            "built-in animatic (CPU previz)",
            frame_step=1,
            size_multiple=2,
            max_segment_frames=480,
            overlap_frames=0,
            needs_weights=False,
        ),
    }
)

ALL_WORKFLOWS = ("text2video", "image2video", "omni", "motion", "avatar")

END_FRAME = "end_frame"
"""First-last frame: a request's end image held as the video's last frame (image2video's
``end_image``, Kling's ``image_tail``; an omni request's ``end_frame`` image)."""

FEATURES: Mapping[str, str] = MappingProxyType({END_FRAME: "end frame (first-last frame)"})
"""The features a tier's ``experimental`` may name, each in the words a user reads."""

FEATURE_WORKFLOWS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {END_FRAME: ("image2video", "omni")}
)
"""The workflows whose requests can use each feature: a tier offers a feature when it does
one of them (:meth:`Tier.offers`)."""


@dataclass(frozen=True)
class Tier:
    """One entry of the lineup.

    ``default_resolution``: what the tier renders when a request names no resolution (no
    ``--resolution``, no Kling ``mode``); one of ``resolutions``.
    ``prices`` maps a resolution to credits per second of output, ``(silent, with audio)``.
    ``audio``: ``native`` (generated with the video), ``added`` (generated after),
    ``reference`` (the reference video's), ``user`` (the user's file), ``tts`` (spoken
    dialogue), ``none``.
    ``speed`` (derived, :mod:`.compute`) maps a resolution to seconds of compute per second
    of output on the tier's default engine: measured where BENCHMARKS.md has it, else
    counted FLOPs on an H100; ``speed_for`` says which and on what hardware, for the
    default engine or the one a request's ``model`` names.
    """

    name: str
    role: str
    kling: str
    engine: str
    workflows: tuple[str, ...]
    max_duration: float | None
    resolutions: tuple[str, ...]
    default_resolution: str
    fps: int
    audio: str
    prices: Mapping[str, tuple[float, float]]
    avatar_fps: int = limits.AVATAR_FPS
    multi_shot: bool = True
    kling_models: tuple[str, ...] = field(default=())
    models: tuple[str, ...] = field(default=())
    """Engines a request may pick instead of ``engine`` (``model``): cinema runs LTX-2.5
    and offers LTX-2."""
    experimental: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Features (keys of :data:`FEATURES`) this tier renders in a way its model's authors
    do not support, each with the reason in one sentence a user reads. ``reelforge tiers``,
    ``/v1/tiers`` and the studio show them; a render that uses one still runs, and its plan
    says so (:meth:`experimental_note`, into the sidecar and ``--dry-run``)."""

    def __post_init__(self) -> None:
        if self.default_resolution not in self.resolutions:
            raise ValueError(
                f"tier {self.name!r}: default resolution {self.default_resolution!r} is not one "
                f"it offers ({', '.join(self.resolutions)})"
            )
        for engine in (self.engine, *self.models):  # measured or counted: a missing one fails here
            for resolution in self.resolutions:
                compute.speed(self.name, engine, resolution)
        for feature in self.experimental:
            if feature not in FEATURES or not self.offers(feature):
                raise ValueError(
                    f"tier {self.name!r}: experimental {feature!r} is not a feature it offers "
                    f"(features: {', '.join(FEATURES)}; its workflows: {', '.join(self.workflows)})"
                )

    def offers(self, feature: str) -> bool:
        """Whether requests on this tier can use ``feature`` (one of :data:`FEATURES`)."""
        return any(wf in self.workflows for wf in FEATURE_WORKFLOWS[feature])

    def experimental_note(self, feature: str) -> str | None:
        """The plan note of a render that uses ``feature`` on this tier: that it is
        experimental here, and why; None where the tier supports it as its authors do."""
        reason = self.experimental.get(feature)
        if reason is None:
            return None
        return f"experimental on the {self.name} tier: {FEATURES[feature]}. {reason}"

    @property
    def traits(self) -> EngineTraits:
        return ENGINES[self.engine]

    def engine_for(self, model: str | None, field: str = "model") -> str:
        """The engine a request's ``model`` names (None: the tier's default), or an
        :class:`InputError` naming the models this tier offers."""
        if model is None:
            return self.engine
        key = model.strip().lower()
        offered = (self.engine, *self.models)
        if key in offered:
            return key
        shown = ", ".join(offered)
        raise InputError(
            field, model, shown, f"the {self.name} tier renders with {shown}, not {model!r}"
        )

    def fps_for(self, workflow: str) -> int:
        return self.avatar_fps if workflow == "avatar" else self.fps

    def speed_for(self, resolution: str, model: str | None = None) -> Speed:
        """Seconds of compute per second of output at ``resolution`` on the engine ``model``
        names (None: the tier's default), where the number comes from (measured, or
        estimated from counted FLOPs) and on what hardware."""
        return compute.speed(self.name, self.engine_for(model), resolution)

    @property
    def speed(self) -> Mapping[str, float]:
        """Seconds of compute per second of output on the tier's default engine, per
        resolution the tier offers."""
        return MappingProxyType({r: self.speed_for(r).seconds for r in self.resolutions})

    def price_per_second(self, resolution: str, audio: bool) -> float:
        silent, with_audio = self.prices[resolution]
        return with_audio if audio and self.audio != "none" else silent


def _tiers(*tiers: Tier) -> Mapping[str, Tier]:
    return MappingProxyType({t.name: t for t in tiers})


TIERS: Mapping[str, Tier] = _tiers(
    Tier(
        "cinema",
        "prompt-driven T2V/I2V, keyframes, multi-shot, dialogue",
        "VIDEO 3.0",
        engine="ltx25",
        models=("ltx2",),
        workflows=("text2video", "image2video"),
        max_duration=15.0,
        resolutions=("720p", "1080p", "4k"),
        default_resolution="1080p",
        fps=24,
        audio="native",
        prices={"720p": (6, 9), "1080p": (8, 12), "4k": (30, 30)},
        kling_models=("kling-v3",),
    ),
    Tier(
        "omni",
        "identity from reference images / video elements",
        "VIDEO 3.0 Omni",
        engine="wan_vace",
        workflows=("omni",),
        max_duration=15.0,
        resolutions=("720p", "1080p"),
        default_resolution="1080p",
        fps=24,
        audio="added",
        prices={"720p": (6, 9), "1080p": (8, 12)},
        kling_models=("kling-v3-omni",),
    ),
    Tier(
        "motion",
        "motion transfer from a reference action video",
        "Motion Control",
        engine="wan_animate",
        workflows=("motion",),
        max_duration=30.0,
        resolutions=("720p", "1080p"),
        default_resolution="1080p",
        fps=24,
        audio="reference",
        prices={"720p": (5, 5), "1080p": (8, 8)},
        multi_shot=False,
    ),
    Tier(
        "avatar",
        "one image + one audio → talking video",
        "Avatar 2.0",
        engine="ltx2",
        workflows=("avatar",),
        max_duration=limits.AUDIO_MAX_SECONDS,
        resolutions=("720p", "1080p"),
        default_resolution="1080p",
        fps=24,
        audio="user",
        prices={"720p": (4, 4), "1080p": (8, 8)},
        multi_shot=False,
    ),
    Tier(
        "budget",
        "cheaper T2V/I2V with audio",
        "2.6",
        engine="ltx2_distilled",
        workflows=("text2video", "image2video"),
        max_duration=10.0,
        resolutions=("720p", "1080p"),
        default_resolution="1080p",
        fps=24,
        audio="native",
        prices={"720p": (3, 4), "1080p": (5, 7)},
        multi_shot=False,
        kling_models=(
            "kling-v2-6",
            "kling-v2-1",
            "kling-v2-1-master",
            "kling-v2-master",
            "kling-v1-6",
            "kling-v1-5",
            "kling-v1",
        ),
    ),
    Tier(
        "turbo",
        "fastest drafts, no audio",
        "2.5 Turbo",
        engine="wan",
        workflows=("text2video", "image2video"),
        max_duration=10.0,
        resolutions=("720p",),
        default_resolution="720p",
        fps=24,
        audio="none",
        prices={"720p": (3, 3)},
        multi_shot=False,
        kling_models=("kling-v2-5-turbo",),
        # Wan-Video/Wan2.2 wan/textimage2video.py (i2v) encodes the one start image and holds
        # it as latent frame 0 only (wan/utils/utils.py masks_like zeroes frame 0); the VAE
        # compresses time 4× (wan/configs/wan_ti2v_5B.py vae_stride (4, 16, 16)), so the end
        # latent engines/wan/engine.py holds at the last latent frame stands for the last 4 frames.
        experimental=MappingProxyType(
            {
                END_FRAME: (
                    "Wan 2.2 TI2V-5B was trained to start from an image, never to end on one: "
                    "turbo holds the end image as its last latent frame (the last 4 frames), "
                    "so the ending may jump or smear; cinema and budget follow an end frame "
                    "as the LTX authors support it (keyframe conditioning)."
                ),
            }
        ),
    ),
    Tier(
        "animatic",
        "previz on any CPU, no weights",
        "—",
        engine="animatic",
        workflows=ALL_WORKFLOWS,
        max_duration=None,
        resolutions=limits.RESOLUTIONS,
        default_resolution="1080p",
        fps=24,
        audio="tts",
        prices={r: (0, 0) for r in limits.RESOLUTIONS},
    ),
)

KLING_WORKFLOW_TIERS: Mapping[str, str] = MappingProxyType({"motion": "motion", "avatar": "avatar"})
"""Kling's motion-control and avatar endpoints take ordinary model names (``kling-v2-6``);
on those workflows any known Kling model means the workflow's own tier."""


def kling_model_names() -> list[str]:
    return [m for t in TIERS.values() for m in t.kling_models]


def resolve_tier(name: str, workflow: str | None = None, field: str = "tier") -> Tier:
    """A tier by its own name or by a Kling model name (``kling-v3`` → ``cinema``)."""
    key = name.strip().lower()
    if key in TIERS:
        return TIERS[key]
    for tier in TIERS.values():
        if key in tier.kling_models:
            if workflow is not None and workflow in KLING_WORKFLOW_TIERS:
                return TIERS[KLING_WORKFLOW_TIERS[workflow]]
            return tier
    known = ", ".join([*TIERS, *kling_model_names()])
    raise InputError(field, name, known, f"unknown tier or model {name!r} (known: {known})")
