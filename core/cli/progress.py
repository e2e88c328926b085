"""Progress for long work (exports, pruning): a single updating line on stderr, only on a TTY."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`update(done)` redraws at most ten times a second; `close()` clears the line.

    Off the TTY (pipes, files, cron, CI) it prints nothing, so scripted output stays clean.
    """

    def __init__(
        self, label: str, total: int | None = None, *, stream: TextIO | None = None, enabled: bool | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.total = total
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self._last = 0.0
        self._drawn = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self._drawn and now - self._last < 0.1 and (self.total is None or done < self.total):
            return
        self._last = now
        self.stream.write("\r\033[K" + self.text(done))
        self.stream.flush()
        self._drawn = True

    def text(self, done: int) -> str:
        if self.total:
            share = min(1.0, done / self.total)
            return f"{self.label}: {done:,}/{self.total:,} ({share:.0%})"
        return f"{self.label}: {done:,}"

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
