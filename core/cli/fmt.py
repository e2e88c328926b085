"""Formatting of money, token counts, percentages and times for people (JSON output never uses these)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

_CENT = Decimal("0.01")
_TINY = Decimal("0.0001")


def usd(value: Decimal | float | int | None, *, blank: str = "-") -> str:
    """$1,234.56 for a dollar or more, up to four decimals below a dollar, '<$0.0001' for dust."""
    if value is None:
        return blank
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    sign = "-" if d < 0 else ""
    d = abs(d)
    if d == 0:
        return "$0.00"
    if d >= 1:
        return f"{sign}${d:,.2f}"
    if d < _TINY:
        return f"{sign}<$0.0001"
    text = f"{d:.4f}"  # cents and below: up to four decimals, at least two ($0.71, $0.2415, $0.013)
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return f"{sign}${text}"


def count(value: int) -> str:
    return f"{value:,}"


def compact(value: int) -> str:
    """1,234 -> 1.2k, 3,400,000 -> 3.4M: token counts in tables."""
    n = abs(value)
    for limit, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "k")):
        if n >= limit:
            scaled = value / limit
            text = f"{scaled:.1f}" if abs(scaled) < 100 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return str(value)


def pct(value: float | None, *, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}%"


def when(value: datetime | None, *, seconds: bool = False) -> str:
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def truncate(text: str | None, width: int, ellipsis: str = "…") -> str:
    text = (text or "").replace("\n", " ")
    if len(text) <= width:
        return text
    return text[: max(0, width - len(ellipsis))] + ellipsis
