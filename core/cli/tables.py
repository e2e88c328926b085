"""Plain aligned tables: a header row, one line per row, no borders (easy to read and to grep)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .style import Style

_ANSI = re.compile(r"\033\[[0-9;]*m")


def visible_len(text: str) -> int:
    return len(_ANSI.sub("", text))


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    align: str | None = None,
    style: Style | None = None,
    indent: int = 2,
) -> list[str]:
    """Lines of a table. `align` has one letter per column: 'l' or 'r' (default: first left, rest right)."""
    ncols = len(headers)
    align = align or "l" + "r" * (ncols - 1)
    if len(align) != ncols or any(len(r) != ncols for r in rows):
        raise ValueError("every row needs one cell per header")
    widths = [max([visible_len(h) for h in [headers[i]]] + [visible_len(r[i]) for r in rows]) for i in range(ncols)]
    pad = " " * indent

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            gap = " " * (widths[i] - visible_len(cell))
            out.append(cell + gap if align[i] == "l" else gap + cell)
        return (pad + "  ".join(out)).rstrip()

    head = line(headers)
    if style is not None:
        head = style(head, "bold") if style.color else head
    return [head, *(line(r) for r in rows)]
