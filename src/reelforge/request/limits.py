"""Every input limit of reelforge, one named constant each (docs/DESIGN.md §2).

A check that rejects input refers to one of these names, and its message quotes
the value, so the number a user reads is the number the code enforces.
"""

from __future__ import annotations

# --- images (start/end frames, characters, references) ---------------------------
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
IMAGE_MIN_SIDE_PX = 300
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_PIXELS = 36_000_000
"""Decompression-bomb guard: no image may decode to more pixels than this (6000×6000)."""
IMAGE_ASPECT_MIN = 1 / 2.5
IMAGE_ASPECT_MAX = 2.5

# --- audio (avatar) ----------------------------------------------------------------
AUDIO_FORMATS = ("wav", "mp3", "m4a", "aac", "flac", "ogg")
AUDIO_MIN_SECONDS = 2.0
AUDIO_MAX_SECONDS = 300.0
AUDIO_MAX_BYTES = 100 * 1024 * 1024

# --- reference videos (motion, omni) -----------------------------------------------
VIDEO_FORMATS = ("mp4", "mov", "webm")
VIDEO_MAX_BYTES = 200 * 1024 * 1024
VIDEO_MIN_SECONDS = 1.0
MOTION_REFERENCE_MAX_SECONDS_IMAGE_ORIENTATION = 10.0
"""``character_orientation=image``: the character keeps the image's facing; reference ≤ 10 s."""
MOTION_REFERENCE_MAX_SECONDS_VIDEO_ORIENTATION = 30.0
"""``character_orientation=video``: the character follows the video's facing; reference ≤ 30 s."""
OMNI_REFERENCE_VIDEO_MAX_SECONDS = 10.0

# --- the clip ----------------------------------------------------------------------
DURATION_MIN_S = 3.0
DURATION_MAX_S = 15.0
"""Longest single generation; a tier may allow less (see lineup)."""
DEFAULT_DURATION_S = 5.0
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
DEFAULT_ASPECT_RATIO = "16:9"
"""When no ``aspect_ratio`` is given and no source image sets the frame."""
RESOLUTIONS = ("720p", "1080p", "4k")
RESOLUTION_SHORT_SIDE = {"720p": 720, "1080p": 1080, "4k": 2160}
DEFAULT_RESOLUTION = "1080p"
DEFAULT_FPS = 24
AVATAR_FPS = 48
SEED_MAX = 2**32 - 1
CFG_SCALE_MIN = 0.0
CFG_SCALE_MAX = 1.0

# --- prompts -----------------------------------------------------------------------
PROMPT_MAX_CHARS = 2500
SHOT_PROMPT_MAX_CHARS = 512
SHOTS_MIN = 1
SHOTS_MAX = 6
SHOT_MIN_S = 1.0
DURATION_TOLERANCE_S = 1e-6
"""Shot durations must sum to the task's duration within this tolerance."""

# --- omni references ---------------------------------------------------------------
OMNI_MAX_REFERENCES = 7
OMNI_MAX_REFERENCES_WITH_VIDEO = 4

# --- camera control (Kling's ``simple`` config) --------------------------------------
CAMERA_AMOUNT_MIN = -10.0
CAMERA_AMOUNT_MAX = 10.0
