"""Ground floor: clips, probing and decoding inputs, encoding MP4, assembly."""

from .artifact import Artifact
from .clip import AUDIO_CHANNELS, AUDIO_RATE, Audio, Clip

__all__ = ["AUDIO_CHANNELS", "AUDIO_RATE", "Artifact", "Audio", "Clip"]
