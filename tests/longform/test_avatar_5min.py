"""A 5-minute avatar on the tiny LTX-2 pipeline: the longest audio a user may give.

The speech is made here, with pauses at known times. The render must last exactly as
long as the audio, carry the user's own track (not the model's), keep sound and picture
in step to the end, and cut its engine windows in the pauses.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

import pytest

import reelforge
from reelforge.lineup.tiers import ENGINES, TIERS
from reelforge.media.artifact import Artifact
from reelforge.media.decode import read_audio
from reelforge.media.probe import probe_audio, probe_video
from reelforge.planning.windows import MIN_CHUNK_SHARE, QUIET_SEARCH_S
from reelforge.request import limits

from .measure import Streams, best_lag, correlation, decoded_streams, mono
from .synth import RATE, speech, write_portrait, write_wav

SECONDS = limits.AUDIO_MAX_SECONDS  # 300 s: the avatar tier's longest
FPS = TIERS["avatar"].avatar_fps  # 48
LTX2 = ENGINES["ltx2"]  # 481-frame windows, 16 frames of overlap, 8k+1 frames
FRAME = 1 / FPS
AAC_BLOCK = 1024
"""Samples per AAC frame: the encoder pads its last one."""


@dataclass(frozen=True)
class Rendered:
    art: Artifact
    plan: dict
    """The sidecar's plan."""
    request: dict
    pauses: list[tuple[float, float]]
    """Where the speech pauses, in seconds."""
    streams: Streams
    """The MP4 as decoded."""


@pytest.fixture(scope="module")
def avatar(tiny_ltx2, tmp_path_factory) -> Rendered:
    """The 5-minute render, once for the module."""
    folder = tmp_path_factory.mktemp("avatar")
    voice, pauses = speech(SECONDS, seed=11)
    request = {
        "workflow": "avatar",
        "tier": "avatar",
        "prompt": "A presenter talks to the camera, calm, in a studio.",
        "image": str(write_portrait(folder / "presenter.png")),
        "audio_file": str(write_wav(folder / "talk.wav", voice)),
        "seed": 21,
    }
    began = time.perf_counter()
    art = reelforge.render(
        request, model_path=tiny_ltx2, size=(32, 32), steps=1, output=folder / "talk.mp4"
    )
    print(f"\n5-minute avatar rendered in {time.perf_counter() - began:.1f} s")
    plan = json.loads(art.sidecar.read_text())["plan"]
    return Rendered(art, plan, request, pauses, decoded_streams(art.video))


def test_avatar_lasts_as_long_as_the_audio_to_the_frame(avatar):
    plan, streams = avatar.plan, avatar.streams
    audio_in = probe_audio(avatar.request["audio_file"]).duration
    assert audio_in == pytest.approx(SECONDS, abs=1e-6)
    assert (plan["fps"], plan["total_frames"]) == (FPS, round(SECONDS * FPS))
    assert sum(s["keep_frames"] for s in plan["segments"]) == plan["total_frames"]

    info = probe_video(avatar.art.video)
    assert (info.width, info.height, info.fps, info.has_audio) == (32, 32, FPS, True)
    assert info.frames == plan["total_frames"]
    assert abs(info.duration - audio_in) <= FRAME
    # Decoded, not declared: every frame, and the last one's time.
    assert streams.frames == plan["total_frames"]
    assert abs(streams.video_end - streams.video_start - audio_in) <= FRAME


def test_avatar_sound_and_picture_end_together(avatar):
    """No A/V drift: the track starts with the first frame and ends with the last, within
    one frame, as the MP4 declares it and as a decoder plays it."""
    art, streams = avatar.art, avatar.streams
    assert streams.audio_start is not None
    assert abs(streams.audio_start - streams.video_start) <= FRAME
    info = probe_video(art.video)
    assert info.audio_duration is not None
    assert abs(info.audio_duration - info.duration) <= FRAME, "declared A/V drift"
    played = read_audio(art.video).duration  # decoded, cut where the MP4 says the sound ends
    assert abs(played - (streams.video_end - streams.video_start)) <= FRAME
    # Raw decoding also yields the AAC encoder's padding of its last block (< 1024 samples).
    assert -FRAME <= streams.audio_end - streams.video_end < AAC_BLOCK / RATE


def test_avatar_track_is_the_users_audio(avatar):
    """The muxed track is the user's file (AAC-coded), not the model's VAE round trip:
    it matches the input sample for sample over the whole 5 minutes and in the last 10 s."""
    art, request = avatar.art, avatar.request
    assert avatar.plan["audio_source"] == "user"
    given = mono(read_audio(request["audio_file"]).samples)
    out = mono(read_audio(art.video).samples)
    assert abs(len(out) - len(given)) <= RATE * FRAME

    # AAC priming is trimmed by the decoder (the MP4's edit list); a lag here would be a
    # misaligned track.
    lag = best_lag(given[: 10 * RATE], out[: 10 * RATE], most=4096)
    assert abs(lag) <= 2, f"output audio is shifted by {lag} samples"
    n = min(len(given), len(out))
    whole = correlation(given[:n], out[:n])
    last = correlation(given[n - 10 * RATE : n], out[n - 10 * RATE : n])
    assert whole >= 0.99 and last >= 0.99, (whole, last)
    # Drift would show as a lag at the end even when the start lines up.
    assert abs(best_lag(given[n - 10 * RATE : n], out[n - 10 * RATE : n], most=4096)) <= 2


def test_avatar_windows_cut_in_the_pauses(avatar):
    """Every window boundary is where the planner promises (within the quiet-point search
    before the latest cut a window allows) and, wherever a pause long enough to hold the
    whole blend was in reach, inside a pause with the blend too."""
    plan, pauses = avatar.plan, avatar.pauses
    segments = plan["segments"]
    total, overlap = plan["total_frames"], LTX2.overlap_frames
    first_room = LTX2.max_segment_frames  # 481: already 8k + 1 frames
    assert (first_room - 1) % LTX2.frame_step == 0
    room = first_room - overlap
    search = round(QUIET_SEARCH_S * FPS)
    shortest = math.floor(room * MIN_CHUNK_SHARE)

    # The count follows from 300 s of 48 fps in 481-frame windows that re-render 16.
    even = 1 + math.ceil((total - first_room) / room)
    most = 1 + math.ceil((total - first_room) / (room - search))
    assert even == 31 and even <= len(segments) <= most

    # Frames whose loudness window (±1 frame) lies wholly inside a pause.
    quiet = [(math.ceil(s * FPS + 1), math.floor(e * FPS - 1)) for s, e in pauses]

    def blend_in_pause(cut: int) -> bool:
        return any(lo <= cut - overlap and cut <= hi for lo, hi in quiet)

    start, reachable = 0, 0
    for seg in segments[1:]:
        cut = seg["start_frame"]
        latest = min(start + (room if start else first_room), total - shortest)
        earliest = max(start + shortest, latest - search)
        assert earliest <= cut <= latest, (start, cut)
        if any(max(earliest, lo + overlap) <= min(latest, hi) for lo, hi in quiet):
            reachable += 1
            assert blend_in_pause(cut), f"cut at {cut / FPS:.3f} s is not in a pause"
        # Where none could, the blend still reaches into a pause (this speech has one in
        # every search range): the cut lies in it or at most `overlap` frames after it.
        assert any(s <= cut / FPS <= e + overlap / FPS for s, e in pauses), cut / FPS
        start = cut
    assert total - start <= room
    assert reachable >= len(segments) // 2  # the speech leaves most windows a long pause

    cuts = ", ".join(f"{s['start_frame'] / FPS:.1f} s" for s in segments[1:])
    assert f"shot 1: windows cut at quiet points: {cuts}" in plan["notes"]


def test_avatar_windows_chain_and_keep_the_reference(avatar):
    request, segments = avatar.request, avatar.plan["segments"]
    for previous, seg in zip(segments, segments[1:], strict=False):
        cond = seg["conditioning"]
        assert seg["overlap_frames"] == LTX2.overlap_frames == cond["continue_from_previous"]
        assert seg["start_frame"] == previous["start_frame"] + previous["keep_frames"]
        # The audio each window is driven by is its own stretch of the user's track.
        begins = (seg["start_frame"] - LTX2.overlap_frames) / FPS
        assert cond["audio_span"]["start"] == pytest.approx(begins)
        assert cond["audio_span"]["end"] == pytest.approx(begins + seg["frames"] / FPS)
    assert segments[0]["conditioning"]["continue_from_previous"] == 0
    for seg in segments:
        cond = seg["conditioning"]
        assert cond["start_image"] == cond["character_image"] == request["image"]
        assert cond["audio"] == request["audio_file"]
        assert seg["frames"] <= LTX2.max_segment_frames and (seg["frames"] - 1) % 8 == 0
    # Identity: every window after the first is anchored on the reference picture (the
    # first starts from it).
    assert segments[0]["conditioning"]["anchor"] is None
    for seg in segments[1:]:
        assert seg["conditioning"]["anchor"]["image"] == request["image"]
