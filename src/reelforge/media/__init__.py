"""Ground floor: clips, probing and decoding inputs, encoding MP4, assembly."""

from .artifact import Artifact
from .assemble import (
    concat_audio,
    crossfade_audio,
    crossfade_frames,
    write_poster,
    write_sidecar,
)
from .clip import AUDIO_CHANNELS, AUDIO_RATE, Audio, Clip
from .decode import (
    fit_image,
    iter_audio,
    iter_frames,
    load_image,
    read_audio,
    read_video,
    resample_audio,
)
from .encode import VideoWriter, write_clip
from .loudness import loudness_db
from .probe import AudioInfo, ImageInfo, VideoInfo, probe_audio, probe_image, probe_video

__all__ = [
    "AUDIO_CHANNELS",
    "AUDIO_RATE",
    "Artifact",
    "Audio",
    "AudioInfo",
    "Clip",
    "ImageInfo",
    "VideoInfo",
    "VideoWriter",
    "concat_audio",
    "crossfade_audio",
    "crossfade_frames",
    "fit_image",
    "iter_audio",
    "iter_frames",
    "load_image",
    "loudness_db",
    "probe_audio",
    "probe_image",
    "probe_video",
    "read_audio",
    "read_video",
    "resample_audio",
    "write_clip",
    "write_poster",
    "write_sidecar",
]
