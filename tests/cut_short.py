"""Files cut short after a whole header, as an interrupted upload or copy leaves them."""

from __future__ import annotations

from pathlib import Path

import av


def cut(path: Path, keep: float = 2 / 3, out: Path | None = None) -> Path:
    """A copy of ``path`` (``cut-<name>`` beside it, or ``out``) with only its first
    ``keep`` of bytes."""
    data = path.read_bytes()
    out = out or path.with_name(f"cut-{path.name}")
    out.write_bytes(data[: int(len(data) * keep)])
    return out


def faststart(path: Path) -> Path:
    """``path`` remuxed with its index before its data (``fast-<name>``), as phones and
    web encoders write MP4s: a copy of it cut short keeps its index, so it still probes."""
    out = path.with_name(f"fast-{path.name}")
    with (
        av.open(str(path)) as src,
        av.open(str(out), "w", options={"movflags": "faststart"}) as dst,
    ):
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                dst.mux(packet)
    return out
