"""Progress for long work (exports, pruning, imports): a single updating line on stderr, only on a TTY."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`update(done)` redraws at most ten times a second; `close()` clears the line.

    Off the TTY (pipes, files, cron, CI) it prints nothing, so scripted output stays clean.
    """

    BAR = 20  # characters of the bar

    def __init__(
        self, label: str, total: int | None = None, *, unit: str = "", stream: TextIO | None = None,
        enabled: bool | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.total = total
        self.unit = unit  # "bytes": amounts shown in MB
        self.detail = ""  # shown after the amounts (e.g. "12/40 files")
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
        detail = f", {self.detail}" if self.detail else ""
        if self.total:
            share = min(1.0, done / self.total)
            filled = int(share * self.BAR)
            bar = "#" * filled + "-" * (self.BAR - filled)
            return f"{self.label} [{bar}] {share:.0%}  {self._amount(done, False)}/{self._amount(self.total)}{detail}"
        return f"{self.label}: {self._amount(done)}{detail}"

    def _amount(self, n: int, unit: bool = True) -> str:
        if self.unit == "bytes":
            return f"{n / 1e6:,.1f}" + (" MB" if unit else "")
        return f"{n:,}"

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
