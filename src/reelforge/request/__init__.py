"""What a user asks for: request models, their limits, and the checks that enforce them."""

from . import limits
from .check import CheckedRequest, MediaInfo, check_request, check_request_data
from .models import (
    WORKFLOWS,
    AnyRequest,
    Avatar,
    CameraControl,
    ImageToVideo,
    MotionControl,
    Omni,
    OmniElement,
    OmniImage,
    OmniVideo,
    Request,
    ShotSpec,
    TextToVideo,
    parse_request,
)

__all__ = [
    "WORKFLOWS",
    "AnyRequest",
    "Avatar",
    "CameraControl",
    "CheckedRequest",
    "ImageToVideo",
    "MediaInfo",
    "MotionControl",
    "Omni",
    "OmniElement",
    "OmniImage",
    "OmniVideo",
    "Request",
    "ShotSpec",
    "TextToVideo",
    "check_request",
    "check_request_data",
    "limits",
    "parse_request",
]
