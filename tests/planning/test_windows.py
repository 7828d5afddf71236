"""Avatar windows cut at quiet points of the user's audio."""

from itertools import accumulate, pairwise
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from reelforge.lineup import TIERS
from reelforge.planning.frames import chunk_lengths, snap_frames_up
from reelforge.planning.planner import plan
from reelforge.planning.windows import min_chunk, quiet_cut_lengths, search_frames
from reelforge.request.models import parse_request

LOUD, QUIET = -12.0, -70.0


def speech(frames, pauses, width):
    """Loud everywhere but ``width`` quiet frames starting at each of ``pauses``."""
    levels = [LOUD + (i % 7) for i in range(frames)]  # uneven, like speech
    for p in pauses:
        for i in range(p, min(p + width, frames)):
            levels[i] = QUIET
    return levels


def cuts(lengths):
    return list(accumulate(lengths[:-1]))


def fits(lengths, max_frames, overlap, step):
    return all(
        snap_frames_up(k + (overlap if i else 0), step) <= max_frames for i, k in enumerate(lengths)
    )


def test_cuts_land_in_the_silences():
    # Windows of 481 (8k+1), overlap 16: at most 481 then 465 kept frames per chunk.
    pauses = [420, 850, 1290, 1700]
    levels = speech(2000, pauses, width=30)
    lengths = quiet_cut_lengths(2000, levels, 481, 16, 8, search=96)
    assert sum(lengths) == 2000 and fits(lengths, 481, 16, 8)
    assert len(cuts(lengths)) == 4
    for cut, pause in zip(cuts(lengths), pauses, strict=True):
        # the blended overlap and the first kept frame all lie in the pause
        assert pause <= cut - 16 and cut < pause + 30


def test_cut_at_the_latest_frame_when_all_is_loud():
    lengths = quiet_cut_lengths(1000, [LOUD] * 1000, 481, 16, 8, search=96)
    assert lengths[0] == 481 and sum(lengths) == 1000


def test_without_loudness_it_is_chunk_lengths():
    for keep in (1, 100, 481, 482, 14400):
        assert quiet_cut_lengths(keep, None, 481, 16, 8, 96) == chunk_lengths(keep, 481, 16, 8)


def test_no_tiny_tail():
    # 481 + 465 + 3 would leave a 3-frame last window: the cuts move earlier instead.
    keep = 481 + 465 + 3
    lengths = quiet_cut_lengths(keep, [LOUD] * keep, 481, 16, 8, search=96)
    assert sum(lengths) == keep and fits(lengths, 481, 16, 8)
    assert min(lengths) >= min_chunk(481, 16, 8) > 3


def test_short_loudness_reads_as_silence_past_its_end():
    lengths = quiet_cut_lengths(1500, [LOUD] * 400, 481, 16, 8, search=96)
    assert sum(lengths) == 1500 and fits(lengths, 481, 16, 8)


@settings(max_examples=200, deadline=None)
@given(
    keep=st.integers(1, 3000),
    step=st.sampled_from([1, 4, 8]),
    max_frames=st.integers(20, 500),
    overlap=st.integers(0, 16),
    search=st.integers(0, 120),
    data=st.data(),
)
def test_properties(keep, step, max_frames, overlap, search, data):
    levels = data.draw(st.lists(st.floats(-180.0, 0.0, allow_nan=False), min_size=0, max_size=keep))
    lengths = quiet_cut_lengths(keep, levels, max_frames, overlap, step, search)
    assert sum(lengths) == keep
    assert all(k >= 1 for k in lengths)
    assert fits(lengths, max_frames, overlap, step)
    if len(lengths) > 1:
        assert min(lengths) >= min_chunk(max_frames, overlap, step)
    else:
        assert keep <= max_frames


def checked(duration, **data):
    return SimpleNamespace(
        request=parse_request(data), duration=duration, source_aspect=1.0, media={}
    )


def test_five_minute_avatar_windows_cut_in_pauses():
    fps, total = 48, 14400
    pauses = list(range(9 * fps, total, 9 * fps))  # a 0.5 s pause every 9 s
    levels = speech(total, pauses, width=fps // 2)
    data = {"workflow": "avatar", "image": "face.png", "audio_file": "speech.wav"}
    p = plan(checked(300.0, **data), TIERS["avatar"], seed=5, audio_loudness=levels)
    segs = p.segments
    assert p.fps == fps and sum(s.keep_frames for s in segs) == total
    assert all(s.frames <= 481 and (s.frames - 1) % 8 == 0 for s in segs)
    starts = [s.start_frame for s in segs[1:]]
    assert len(starts) == len(pauses)
    for start in starts:
        pause = max(q for q in pauses if q <= start)
        assert pause <= start - 16 and start < pause + fps // 2  # overlap and cut in the pause
    for prev, seg in pairwise(segs):
        assert seg.start_frame == prev.start_frame + prev.keep_frames
        assert round(seg.conditioning.audio_span.start * fps) == seg.start_frame - 16
    note = next(n for n in p.notes if "windows cut at quiet points" in n)
    assert f"{starts[0] / fps:.1f} s" in note and f"{starts[-1] / fps:.1f} s" in note


def test_avatar_without_loudness_keeps_even_windows():
    data = {"workflow": "avatar", "image": "face.png", "audio_file": "speech.wav"}
    p = plan(checked(300.0, **data), TIERS["avatar"], seed=5)
    assert [s.keep_frames for s in p.segments] == chunk_lengths(14400, 481, 16, 8)
    assert not any("quiet points" in n for n in p.notes)


def test_search_window_is_two_seconds():
    assert search_frames(48) == 96 and search_frames(24) == 48
