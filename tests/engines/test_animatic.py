"""The animatic engine: every mode's shape, sound, camera moves, determinism and inputs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.engines.animatic import AnimaticEngine, tts
from reelforge.engines.animatic.camera import PUSH_ZOOM, TRAVEL
from reelforge.engines.animatic.timeline import cues, frame_time
from reelforge.engines.animatic.views import runs
from reelforge.media.clip import AUDIO_RATE, Clip
from reelforge.media.decode import fit_image, read_audio
from reelforge.media.encode import VideoWriter
from reelforge.planning.plan import Conditioning, Reference, Segment, Span
from reelforge.prompting.shots import CameraMove, DialogueLine
from tests.wav import write_pcm16

W, H = 256, 144
LINES = (
    DialogueLine(speaker="Mara", text="Stay."),
    DialogueLine(speaker="Jonas", text="I can't, the boat is leaving tonight."),
)


def segment(**kw) -> Segment:
    frames = kw.pop("frames", 12)
    base = dict(
        index=0, workflow="text2video", kind="shot", shot_index=1, shots=1,
        prompt="a pier at dusk", action="Mara waits on the pier", start=0.0, start_frame=0,
        frames=frames, keep_frames=frames, width=W, height=H, fps=24, seed=7,
    )  # fmt: skip
    base.update(kw)
    return Segment(**base)


def render(seg: Segment, progress=None) -> Clip:
    if progress is None:
        return AnimaticEngine().render(seg)
    return AnimaticEngine().render(seg, progress)


# ------------------------------------------------------------------ input files


def picture(path: Path, colour: tuple[int, int, int], size=(400, 320)) -> Path:
    """A textured image: a colour gradient with a grid of dots, so moves are measurable."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.empty((h, w, 3), np.uint8)
    for c in range(3):
        rgb[..., c] = np.clip(colour[c] * 0.6 + 90 * x / w + 60 * np.sin(y / 9.0 + c), 0, 255)
    rgb[(x % 23 < 5) & (y % 19 < 5)] = 255
    Image.fromarray(rgb).save(path)
    return path


def wav(path: Path, samples: np.ndarray, rate: int = 44_100) -> Path:
    return write_pcm16(path, (np.clip(samples, -1, 1) * 32767).astype("<i2"), rate)


def bursts(seconds: float, rate: int = 44_100) -> np.ndarray:
    """A 220 Hz tone switched on and off every 0.25 s: loud, and changing."""
    t = np.arange(round(seconds * rate)) / rate
    return 0.8 * np.sin(2 * np.pi * 220 * t) * ((t // 0.25) % 2 == 0)


def ramp_video(path: Path, frames: int = 24) -> Path:
    """Uniform grey frames getting brighter every frame (40 → 40 + 8·frames)."""
    with VideoWriter(path, 64, 48, 24, audio=False) as writer:
        for k in range(frames):
            writer.write_frames(np.full((1, 48, 64, 3), 40 + 8 * k, np.uint8))
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "start": picture(tmp_path / "start.png", (220, 40, 40)),
        "end": picture(tmp_path / "end.png", (30, 60, 230)),
        "hero": picture(tmp_path / "hero.png", (40, 200, 60), (300, 300)),
        "loud": wav(tmp_path / "loud.wav", bursts(2.0)),
        "quiet": wav(tmp_path / "quiet.wav", np.zeros(88_200)),
        "video": ramp_video(tmp_path / "ref.mp4"),
    }


def all_modes(files) -> dict[str, Segment]:
    return {
        "text": segment(dialogue=LINES),
        "omni": segment(
            workflow="omni",
            conditioning=Conditioning(references=(Reference(tag="@Hero", path=files["hero"]),)),
        ),
        "image": segment(
            workflow="image2video",
            conditioning=Conditioning(start_image=files["start"], end_image=files["end"]),
        ),
        "avatar": segment(
            workflow="avatar",
            conditioning=Conditioning(
                start_image=files["hero"], audio=files["loud"], audio_span=Span(start=0.5, end=1.0)
            ),
        ),
        "motion": segment(
            workflow="motion",
            conditioning=Conditioning(
                character_image=files["hero"], reference_video=files["video"]
            ),
        ),
    }


# ------------------------------------------------------------------ shape, sound, determinism


@pytest.mark.parametrize("mode", ["text", "omni", "image", "avatar", "motion"])
def test_every_mode_renders_exact_frames(files, mode):
    seg = all_modes(files)[mode].model_copy(update={"frames": 13, "keep_frames": 13})
    clip = render(seg)
    assert clip.frames.shape == (13, H, W, 3)
    assert clip.frames.dtype == np.uint8
    assert clip.fps == 24
    assert clip.meta["mode"] == ("text" if mode == "omni" else mode)
    if mode == "avatar":
        assert clip.audio is not None  # the user's audio, always
    else:
        assert clip.audio is None  # segment.audio is False


@pytest.mark.parametrize(("frames", "fps"), [(13, 24), (7, 30), (25, 48)])
def test_audio_lasts_exactly_the_frames(monkeypatch, frames, fps):
    monkeypatch.setattr(tts, "tts_available", lambda: False)
    clip = render(segment(frames=frames, fps=fps, audio=True, dialogue=LINES))
    assert clip.audio.rate == AUDIO_RATE
    assert clip.audio.samples.shape == (2, round(frames * AUDIO_RATE / fps))


def test_silence_without_tts(monkeypatch):
    monkeypatch.setattr(tts, "tts_available", lambda: False)
    clip = render(segment(frames=48, audio=True, dialogue=LINES))
    assert clip.audio is not None
    assert not np.any(clip.audio.samples)


def test_dialogue_is_spoken_inside_its_subtitle_windows():
    seg = segment(frames=96, audio=True, dialogue=LINES)
    samples = render(seg).audio.samples
    assert samples.shape == (2, 4 * AUDIO_RATE)
    assert np.abs(samples).max() > 0.05
    first, second = cues(seg)
    gap = samples[:, round(first.end * AUDIO_RATE) : round(second.start * AUDIO_RATE)]
    assert not np.any(gap)  # the first line is cut at its window's end
    assert np.abs(samples[:, round(second.start * AUDIO_RATE) :]).max() > 0.05


def test_speakers_get_distinct_stable_voices():
    a = tts.speak(DialogueLine(speaker="A", text="Hello there."), 0)
    b = tts.speak(DialogueLine(speaker="B", text="Hello there."), 1)
    again = tts.speak(DialogueLine(speaker="A", text="Hello there."), 0)
    assert a.rate == AUDIO_RATE and a.channels == 2
    assert np.array_equal(a.samples, again.samples)
    assert a.samples.shape != b.samples.shape or not np.array_equal(a.samples, b.samples)


def test_speech_comes_with_the_install_not_the_espeak_ng_program(monkeypatch, tmp_path):
    """The wheel's library speaks with no ``espeak-ng`` on PATH and none on the system."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(tts.ctypes.util, "find_library", lambda name: None)
    tts.library.cache_clear()
    try:
        voice = tts.speak(LINES[1], 3)
        assert tts.library() is not None and tts.library().origin == "espeakng-loader"
    finally:
        tts.library.cache_clear()
    assert voice is not None and np.abs(voice.samples).max() > 0.05


def test_voice_data_deep_in_a_long_path_still_speaks(tmp_path):
    """eSpeak NG holds its data path in 160 bytes: a deep virtual environment must not
    silence the dialogue."""
    wheel = tts.library()
    deep = tmp_path / ("v" * 120) / "site-packages"
    deep.mkdir(parents=True)
    data = deep / "espeak-ng-data"
    data.symlink_to(wheel.data, target_is_directory=True)
    assert len(str(data)) > 170
    spoken = tts._speak(tts.Library(wheel.path, str(data), "deep"), "Stay.", "en+m3", 45)
    assert spoken is not None and spoken[1] == tts._speak(wheel, "Stay.", "en+m3", 45)[1]


def test_lines_spoken_on_many_threads_at_once_are_each_the_same():
    line = DialogueLine(speaker="A", text="The boat is leaving tonight.")
    alone = tts.speak(line, 2)
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda _: tts.speak(line, 2), range(8)))
    assert all(np.array_equal(alone.samples, voice.samples) for voice in together)


def test_a_library_that_does_not_speak_gives_silence(monkeypatch, tmp_path):
    broken = tmp_path / "libespeak-ng.so"
    broken.write_bytes(b"not a library")
    monkeypatch.setattr(tts, "_candidates", lambda: [tts.Library(str(broken), None, "test")])
    tts.library.cache_clear()
    try:
        assert not tts.tts_available()
        assert tts.speak(LINES[0], 0) is None
    finally:
        tts.library.cache_clear()


def test_speak_without_tts_is_none(monkeypatch):
    monkeypatch.setattr(tts, "library", lambda: None)
    assert tts.speak(LINES[0], 0) is None


def test_same_segment_same_frames_other_seed_other_frames():
    seg = segment(dialogue=LINES, camera=CameraMove.HANDHELD)
    a, b = render(seg).frames, render(seg).frames
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render(seg.model_copy(update={"seed": 8})).frames)


def test_every_frame_carries_the_animatic_mark():
    clip = render(segment(frames=3, action="", prompt=""))
    corner = clip.frames[:, int(H * 0.85) :, int(W * 0.6) :].astype(int)
    scene = render(segment(frames=3, action="", prompt="")).frames  # same: deterministic
    assert np.array_equal(corner, scene[:, int(H * 0.85) :, int(W * 0.6) :])
    bright = (corner.min(axis=-1) > 200).sum(axis=(1, 2))
    assert (bright > 10).all()  # white lettering in the corner of every frame


def test_progress_is_reported_up_to_the_frame_count():
    calls = []
    render(segment(frames=30), lambda k, n: calls.append((k, n)))
    assert calls[-1] == (30, 30)
    assert [k for k, _ in calls] == sorted(k for k, _ in calls)
    assert all(n == 30 for _, n in calls)


def test_frame_time_includes_the_overlap():
    seg = segment(start=2.0, start_frame=48, frames=30, keep_frames=24, overlap_frames=6)
    assert frame_time(seg, 0) == pytest.approx(1.75)
    assert frame_time(seg, 6) == pytest.approx(2.0)


def test_subtitles_follow_their_cues():
    seg = segment(frames=48, dialogue=LINES, action="", prompt="")
    frames = render(seg).frames
    first, second = cues(seg)
    times = [frame_time(seg, i) for i in range(48)]
    blank = next(i for i, t in enumerate(times) if first.end <= t < second.start)
    band = np.s_[int(H * 0.6) : int(H * 0.92), int(W * 0.15) : int(W * 0.85)]
    for i, t in enumerate(times):
        inside = first.start <= t < first.end or second.start <= t < second.end
        assert (not np.array_equal(frames[i][band], frames[blank][band])) == inside, (i, t)


# ------------------------------------------------------------------ camera moves


def shift(a: np.ndarray, b: np.ndarray, axis: int, limit: int) -> int:
    """The offset d minimising |b[x] - a[x + d]| along ``axis`` (content moved by -d)."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    n = a.shape[axis]
    errors = {}
    for d in range(-limit, limit + 1):
        lo, hi = max(0, -d), min(n, n - d)
        bb = np.take(b, range(lo, hi), axis=axis)
        aa = np.take(a, range(lo + d, hi + d), axis=axis)
        errors[d] = float(np.abs(bb - aa).mean())
    return min(errors, key=errors.get)


def scene(move: CameraMove, size=(320, 180), **kw) -> np.ndarray:
    """First and last frame of a card without caption or subtitles, camera ``move``."""
    kw.setdefault("action", "")
    kw.setdefault("prompt", "")
    w, h = size
    clip = render(segment(frames=5, width=w, height=h, camera=move, **kw))
    return clip.frames[[0, -1]]


MIDDLE = np.s_[int(180 * 0.35) : int(180 * 0.85), int(320 * 0.15) : int(320 * 0.85)]


def test_static_is_static():
    first, last = scene(CameraMove.STATIC, dialogue=LINES[:1])
    # the subtitle is not on the last frame: compare the scene above it
    assert np.array_equal(first[: int(180 * 0.75)], last[: int(180 * 0.75)])


@pytest.mark.parametrize(
    ("move", "axis", "sign"),
    [
        (CameraMove.PAN_RIGHT, 1, 1),  # content slides left: last[x] = first[x + d], d > 0
        (CameraMove.PAN_LEFT, 1, -1),
        (CameraMove.TILT_DOWN, 0, 1),  # content slides up
        (CameraMove.TILT_UP, 0, -1),
    ],
)
def test_pans_and_tilts_slide_the_scene(move, axis, sign):
    first, last = scene(move)
    travel = round(TRAVEL * (320 if axis == 1 else 180))
    d = shift(first[MIDDLE], last[MIDDLE], axis, travel + 10)
    assert d == pytest.approx(sign * travel, abs=2)


def zoomed(frame: np.ndarray, zoom: float) -> np.ndarray:
    """The centre of ``frame`` magnified by ``zoom`` back to full size."""
    h, w = frame.shape[:2]
    bw, bh = w / zoom, h / zoom
    box = ((w - bw) / 2, (h - bh) / 2, (w + bw) / 2, (h + bh) / 2)
    return np.asarray(Image.fromarray(frame).resize((w, h), Image.Resampling.BILINEAR, box=box))


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a[MIDDLE].astype(int) - b[MIDDLE].astype(int)).mean())


def test_push_in_magnifies_the_centre():
    first, last = scene(CameraMove.PUSH_IN)
    assert diff(zoomed(first, 1 + PUSH_ZOOM), last) < 0.3 * diff(first, last)


def test_pull_out_shows_more():
    first, last = scene(CameraMove.PULL_OUT)
    assert diff(zoomed(last, 1 + PUSH_ZOOM), first) < 0.3 * diff(first, last)


def test_handheld_shakes_a_little():
    clip = render(segment(frames=24, width=320, height=180, camera=CameraMove.HANDHELD, action=""))
    shifts = [shift(clip.frames[0][MIDDLE], f[MIDDLE], 1, 12) for f in clip.frames[1:]]
    assert any(shifts)
    assert max(abs(s) for s in shifts) <= 0.025 * 320


def figure_x(frames_with: np.ndarray, frames_without: np.ndarray) -> float:
    """Mean column of the pixels a speaking figure adds to the scene."""
    rows = slice(int(180 * 0.3), int(180 * 0.75))
    mask = np.any(frames_with[rows] != frames_without[rows], axis=-1)
    return float(np.nonzero(mask)[1].mean())


@pytest.mark.parametrize(
    ("move", "sign"), [(CameraMove.ORBIT_LEFT, 1), (CameraMove.ORBIT_RIGHT, -1)]
)
def test_orbit_moves_background_and_foreground_apart(move, sign):
    with_figure = scene(move, dialogue=LINES[:1])
    without = scene(move)
    ground = np.s_[int(180 * 0.76) : int(180 * 0.9), int(320 * 0.05) : int(320 * 0.75)]
    background = shift(without[0][ground], without[1][ground], 1, 80)
    foreground = figure_x(with_figure[1], without[1]) - figure_x(with_figure[0], without[0])
    assert sign * background > 0  # the far layer slides one way...
    assert sign * foreground > 0.02 * 320  # ...the figures drift the other way
    assert abs(foreground) < abs(background)


# ------------------------------------------------------------------ image, avatar, motion, omni


def test_image_to_video_ends_on_the_end_image(files):
    seg = all_modes(files)["image"].model_copy(update={"action": "", "prompt": ""})
    clip = render(seg)
    end = fit_image(Image.open(files["end"]), W, H).astype(int)
    body = np.s_[int(H * 0.3) : int(H * 0.8), :]
    assert np.abs(clip.frames[-1][body].astype(int) - end[body]).mean() < 6
    assert np.abs(clip.frames[0][body].astype(int) - end[body]).mean() > 40


def test_image_with_static_camera_pushes_in_gently(files):
    seg = segment(conditioning=Conditioning(start_image=files["start"]), action="", prompt="")
    clip = render(seg)
    assert not np.array_equal(clip.frames[0], clip.frames[-1])


def test_avatar_motion_follows_loudness(files):
    def avatar(audio: Path) -> Clip:
        c = Conditioning(
            start_image=files["hero"], audio=audio, audio_span=Span(start=0.0, end=1.0)
        )
        return render(segment(workflow="avatar", frames=24, conditioning=c, action=""))

    loud, quiet = avatar(files["loud"]), avatar(files["quiet"])
    assert all(np.array_equal(quiet.frames[0], f) for f in quiet.frames)
    moving = [not np.array_equal(loud.frames[0], f) for f in loud.frames]
    assert sum(moving) > 6
    assert not np.array_equal(loud.frames, quiet.frames)


def test_avatar_audio_is_the_users_span(files):
    seg = all_modes(files)["avatar"]
    clip = render(seg)
    expected = read_audio(files["loud"], span=(0.5, 0.5 + 12 / 24))
    assert clip.audio.samples.shape == (2, round(12 * AUDIO_RATE / 24))
    inner = np.s_[:, 100:-100]  # the resamplers' edges and phases differ by a little
    assert np.abs(clip.audio.samples[inner] - expected.samples[inner]).max() < 0.05


def test_motion_right_half_follows_the_reference(files):
    seg = all_modes(files)["motion"].model_copy(update={"frames": 20, "keep_frames": 20})
    frames = render(seg).frames.astype(int)
    right = frames[:, int(H * 0.3) : int(H * 0.65), W // 2 + 8 :].mean(axis=(1, 2, 3))
    left = frames[:, int(H * 0.3) : int(H * 0.65), : W // 2 - 8]
    assert np.all(np.diff(right) > 3)  # brighter every frame, like the reference
    assert right[-1] - right[0] > 100
    assert all(np.array_equal(left[0], f) for f in left)


def test_omni_shows_a_contact_strip(files):
    modes = all_modes(files)
    with_refs = render(modes["omni"]).frames
    without = render(modes["omni"].model_copy(update={"conditioning": Conditioning()})).frames
    strip = np.s_[:, int(H * 0.2) : int(H * 0.85), int(W * 0.8) :]
    assert not np.array_equal(with_refs[strip], without[strip])
    assert np.array_equal(with_refs[:, :, : W // 2], without[:, :, : W // 2])


def test_runs_sample_nearest_pixels():
    assert runs(3.0, 1.0, 10, 100) == [(0, 10, 3)]
    sampled = runs(0.0, 1.1, 30, 100)
    index = np.concatenate([np.arange(sc, sc + b - a) for a, b, sc in sampled])
    assert np.array_equal(index, np.floor((np.arange(30) + 0.5) * 1.1).astype(int))
