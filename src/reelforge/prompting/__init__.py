"""reelforge.prompting: prompts → shots.

The structured prompt (Scene · Characters · Action · Camera · Audio & Style), the
multi-shot script parser (``Shot 1 (3s): ... Camera: static.``), dialogue and camera
extraction, the intelligent shot split, and prompt lint. Pure text processing: no
media, no models.
"""

from .analyze import analyze_shot, analyze_shots
from .camera import camera_from_control, extract_camera, find_camera_move
from .dialogue import dialogue_spans, extract_dialogue, render_line
from .intelligence import split_into_shots
from .lint import LintWarning, lint
from .script import is_shot_script, parse_shot_script, with_script_shots
from .shots import CameraMove, DialogueLine, Shot
from .structured import StructuredPrompt

__all__ = [
    "CameraMove",
    "DialogueLine",
    "LintWarning",
    "Shot",
    "StructuredPrompt",
    "analyze_shot",
    "analyze_shots",
    "camera_from_control",
    "dialogue_spans",
    "extract_camera",
    "extract_dialogue",
    "find_camera_move",
    "is_shot_script",
    "lint",
    "parse_shot_script",
    "render_line",
    "split_into_shots",
    "with_script_shots",
]
