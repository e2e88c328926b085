"""Terminal output: colour only on a TTY and never with NO_COLOR; Unicode only where it can be encoded."""

from __future__ import annotations

import os
import sys
from typing import TextIO

_CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}

# How each alert level looks; OK is plain so the eye goes to what needs attention.
LEVEL_STYLE = {
    "ok": (),
    "info": ("cyan",),
    "warning": ("yellow",),
    "critical": ("red", "bold"),
    "exceeded": ("red", "bold"),
}


def color_enabled(stream: TextIO) -> bool:
    """https://no-color.org: any non-empty NO_COLOR turns colour off; so do pipes, files and TERM=dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def unicode_enabled(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "█▏│…·✓✗".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class Style:
    """Wraps text in ANSI codes when colour is on; otherwise returns it unchanged."""

    def __init__(self, stream: TextIO | None = None, *, color: bool | None = None, unicode: bool | None = None) -> None:
        stream = stream or sys.stdout
        self.color = color_enabled(stream) if color is None else color
        self.unicode = unicode_enabled(stream) if unicode is None else unicode

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def level(self, level: str) -> str:
        return self(level, *LEVEL_STYLE.get(level, ()))

    def heading(self, text: str) -> str:
        return self(text, "bold")

    @property
    def dot(self) -> str:
        return "·" if self.unicode else "-"

    @property
    def ellipsis(self) -> str:
        return "…" if self.unicode else "..."
