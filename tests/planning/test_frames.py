import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelforge.planning.frames import (
    boundaries,
    chunk_lengths,
    output_size,
    snap_frames_down,
    snap_frames_up,
)


@pytest.mark.parametrize(
    ("frames", "step", "expected"),
    [
        (120, 8, 121),
        (121, 8, 121),
        (122, 8, 129),
        (1, 8, 1),
        (2, 8, 9),
        (120, 4, 121),
        (72, 4, 73),
        (97, 1, 97),
    ],
)
def test_snap_up(frames, step, expected):
    assert snap_frames_up(frames, step) == expected


def test_snap_down():
    assert snap_frames_down(481, 8) == 481
    assert snap_frames_down(480, 8) == 473
    assert snap_frames_down(77, 4) == 77


@given(st.integers(1, 5000), st.sampled_from([1, 4, 8]))
def test_snap_up_is_smallest_valid_count(frames, step):
    got = snap_frames_up(frames, step)
    assert got >= frames and (got - 1) % step == 0 and got - step < frames


@pytest.mark.parametrize(
    ("resolution", "aspect", "multiple", "size"),
    [
        ("720p", 16 / 9, 2, (1280, 720)),
        ("1080p", 16 / 9, 2, (1920, 1080)),
        ("1080p", 16 / 9, 32, (1920, 1088)),
        ("1080p", 9 / 16, 32, (1088, 1920)),
        ("720p", 1.0, 16, (720, 720)),
        ("4k", 16 / 9, 32, (3840, 2176)),
        ("720p", 2.5, 32, (1792, 704)),
    ],
)
def test_output_size(resolution, aspect, multiple, size):
    assert output_size(resolution, aspect, multiple) == size


@given(st.floats(0.4, 2.5), st.sampled_from(["720p", "1080p", "4k"]), st.sampled_from([2, 16, 32]))
def test_output_size_keeps_aspect(aspect, resolution, multiple):
    w, h = output_size(resolution, aspect, multiple)
    assert w % multiple == 0 and h % multiple == 0
    assert abs(w / h - aspect) / aspect < 0.05


def test_boundaries_round_the_running_sum():
    assert boundaries([3, 4, 3], 24) == [0, 72, 168, 240]
    # thirds of a second: rounding each part would lose a frame, rounding the sum cannot
    assert boundaries([1 / 3] * 9 + [7], 24)[-1] == 240


@pytest.mark.parametrize(
    ("keep", "max_frames", "overlap", "step"),
    [
        (240, 481, 16, 8),
        (14400, 481, 16, 8),
        (720, 77, 5, 4),
        (721, 121, 8, 4),
        (480, 480, 0, 1),
        (481, 480, 0, 1),
        (7, 9, 0, 8),
    ],
)
def test_chunks_fit_the_engine_window(keep, max_frames, overlap, step):
    lengths = chunk_lengths(keep, max_frames, overlap, step)
    assert sum(lengths) == keep
    assert snap_frames_up(lengths[0], step) <= max_frames
    assert all(snap_frames_up(k + overlap, step) <= max_frames for k in lengths[1:])
    assert max(lengths) - min(lengths) <= 1


def test_overlap_larger_than_window_is_refused():
    with pytest.raises(ValueError):
        chunk_lengths(100, 9, 9, 8)
