"""The structured prompt Kling's guide recommends: Scene · Characters · Action · Camera ·
Audio & Style.

The studio edits the five parts as fields; :meth:`StructuredPrompt.to_text` writes
them as labelled sentences, one per line, and :meth:`StructuredPrompt.from_text`
reads such text back. Free text without labels is all action.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from ._text import normalize_newlines, one_line

_LABELS: dict[str, str] = {
    "scene": "Scene",
    "characters": "Characters",
    "action": "Action",
    "camera": "Camera",
    "audio_style": "Audio & Style",
}
_ALIASES: dict[str, str] = {
    "scene": "scene",
    "setting": "scene",
    "characters": "characters",
    "character": "characters",
    "subject": "characters",
    "subjects": "characters",
    "action": "action",
    "camera": "camera",
    "audio & style": "audio_style",
    "audio and style": "audio_style",
    "audio/style": "audio_style",
    "audio": "audio_style",
    "sound": "audio_style",
    "style": "audio_style",
}
_LABEL = re.compile(
    r"(?:^|(?<=[.!?。！？])[ \t]+)[ \t]*(?:[-*•][ \t]+)?(?:\*\*)?(?P<label>"
    + "|".join(re.escape(a) for a in sorted(_ALIASES, key=len, reverse=True))
    + r")(?:\*\*)?[ \t]*[:：](?:\*\*)?[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
"""A label at the start of a line or of a sentence (``Scene:``, ``**Camera:**``, ``Audio:``)."""


class StructuredPrompt(BaseModel):
    """A prompt in five parts; any may be empty."""

    model_config = ConfigDict(frozen=True)

    scene: str = ""
    characters: str = ""
    action: str = ""
    camera: str = ""
    audio_style: str = ""

    def to_text(self) -> str:
        """``Scene: ….`` one labelled sentence per line, in the guide's order, empty parts left out.

        Values are put on one line, and end with a period unless they already end a
        sentence.
        """
        lines = []
        for name, label in _LABELS.items():
            value = one_line(getattr(self, name))
            if value:
                end = "" if value[-1] in '.!?。！？…"”」' else "."
                lines.append(f"{label}: {value}{end}")
        return "\n".join(lines)

    @classmethod
    def from_text(cls, text: str) -> StructuredPrompt:
        """Read labelled text back; text outside any label goes to ``action``.

        A part labelled twice (``Audio: …`` and ``Style: …``) keeps both, joined by a space.
        """
        text = normalize_newlines(text)
        parts: dict[str, list[str]] = {name: [] for name in _LABELS}
        matches = list(_LABEL.finditer(text))
        bounds = [m.start() for m in matches] + [len(text)]
        parts["action"].append(text[: bounds[0]])
        for m, end in zip(matches, bounds[1:], strict=True):
            parts[_ALIASES[m["label"].lower()]].append(text[m.end() : end])
        return cls(**{name: one_line(" ".join(chunks)) for name, chunks in parts.items()})
