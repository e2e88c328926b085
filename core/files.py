"""Writing files all at once (readers see the old content or the new, never half of it), and backing them up."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def atomic_file(path: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """Write a text file all at once: a temp file beside it, renamed into place only on success."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", newline=newline, encoding="utf-8") as handle:
            yield handle
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def backup(path: Path) -> Path:
    """Copy `path` beside itself as `<name>.bak-<time>` (then `-1`, `-2`, ...): never over an earlier backup."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while True:
        target = path.with_name(f"{path.name}.bak-{stamp}" + (f"-{n}" if n else ""))
        try:
            with path.open("rb") as source, target.open("xb") as copy:  # "x": fails rather than overwrite
                shutil.copyfileobj(source, copy)
        except FileExistsError:
            n += 1
            continue
        shutil.copystat(path, target)
        return target
